#include "PooledDatabase.h"

#include "MigrationPlan.h"
#include "SqlScript.h"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/NumberFormatter.h>
#include <Poco/Nullable.h>
#include <Poco/Path.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>

using namespace Poco::Data::Keywords;

namespace comfygate {

namespace {

struct ActiveWrite
{
    const PooledDatabase* database;
    Poco::Data::Session* session;
};

// The write() transactions running on this thread, innermost last.
thread_local std::vector<ActiveWrite> activeWrites;

Poco::Data::Session* activeWriteSession(const PooledDatabase* database)
{
    for (const ActiveWrite& write : activeWrites) {
        if (write.database == database)
            return write.session;
    }
    return nullptr;
}

class ActiveWriteScope
{
public:
    ActiveWriteScope(const PooledDatabase* database, Poco::Data::Session* session)
    {
        activeWrites.push_back({database, session});
    }
    ~ActiveWriteScope() { activeWrites.pop_back(); }
    ActiveWriteScope(const ActiveWriteScope&) = delete;
    ActiveWriteScope& operator=(const ActiveWriteScope&) = delete;
};

void registerConnectors()
{
    static std::once_flag once;
    std::call_once(once, [] {
        // SQLite's memory statistics take one process-wide mutex on every allocation; with many
        // request threads preparing statements at once that mutex was the hot path's top wait.
        // It must be set before SQLite initialises, so before the first connection opens.
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::PostgreSQL::Connector::registerConnector();
    });
}

std::string describe(const std::exception& error)
{
    if (const auto* poco = dynamic_cast<const Poco::Exception*>(&error))
        return Poco::trim(poco->displayText());
    return error.what();
}

std::string label(const std::string& owner, int number, const std::string& name)
{
    return migrationLabel(owner, number, name);
}

// host, port and dbname of a libpq connection string, never the password.
std::string describePostgres(const std::string& connection)
{
    std::string host = "localhost";
    std::string port = "5432";
    std::string dbname;
    const Poco::StringTokenizer pairs(connection, " \t\n", Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const std::string& pair : pairs) {
        const std::size_t eq = pair.find('=');
        if (eq == std::string::npos)
            continue;
        const std::string key = pair.substr(0, eq);
        std::string value = pair.substr(eq + 1);
        if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
            value = value.substr(1, value.size() - 2);
        if (key == "host" || key == "hostaddr")
            host = value;
        else if (key == "port")
            port = value;
        else if (key == "dbname")
            dbname = value;
    }
    return "host " + host + " port " + port + (dbname.empty() ? "" : " database " + dbname);
}

// Poco's SQLite session retries a failing open for its 60 s login timeout, which the pool
// cannot shorten: catch the usual causes first.
void checkSqliteLocation(const std::string& file)
{
    Poco::Path path(file);
    path.makeAbsolute();
    const Poco::File dir(path.parent());
    if (!dir.exists() || !dir.isDirectory())
        throw std::runtime_error("directory " + dir.path() + " does not exist");
    if (!dir.canWrite())
        throw std::runtime_error("directory " + dir.path()
                                 + " is not writable (SQLite creates -wal and -shm files there)");
    const Poco::File db(path);
    if (db.exists() && (!db.isFile() || !db.canRead() || !db.canWrite()))
        throw std::runtime_error("not a file readable and writable by this user");
}

} // namespace

PooledDatabase::PooledDatabase(DatabaseSettings settings) :
    _settings(std::move(settings)),
    _dialect(_settings.backend),
    _logger(Poco::Logger::get("comfygate.database"))
{
    registerConnectors();
}

PooledDatabase::~PooledDatabase()
{
    try {
        close();
    } catch (...) {
    }
}

Database::Backend PooledDatabase::backend() const
{
    return _settings.backend;
}

std::string PooledDatabase::describeTarget() const
{
    if (_settings.backend == Backend::SQLite)
        return "SQLite database " + _settings.sqlitePath;
    return "PostgreSQL at " + describePostgres(_settings.postgresConnection);
}

void PooledDatabase::open()
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (_pool)
        throw std::logic_error(describeTarget() + " is already open");
    if (_settings.minSessions < 0 || _settings.maxSessions < 1
        || _settings.minSessions > _settings.maxSessions)
        throw std::invalid_argument("database pool: need 0 <= min sessions <= max sessions, "
                                    "max >= 1");

    std::string connector;
    std::string connection;
    SqlSessionPool::Setup setup;
    if (_settings.backend == Backend::SQLite) {
        if (_settings.sqlitePath.empty())
            throw std::invalid_argument("no SQLite database file configured");
        connector = Poco::Data::SQLite::Connector::KEY;
        connection = _settings.sqlitePath;
        setup = [this](Poco::Data::Session& session) { prepareSqliteConnection(session); };
    } else {
        if (_settings.postgresConnection.empty())
            throw std::invalid_argument("no PostgreSQL connection string configured");
        // Poco's connector parses key=value itself, and echoes a URI (password included)
        // in its error.
        if (_settings.postgresConnection.find("://") != std::string::npos)
            throw std::invalid_argument("the PostgreSQL connection must be in libpq key=value "
                                        "form (host=... port=... dbname=... user=... "
                                        "password=...), not a URI");
        connector = Poco::Data::PostgreSQL::Connector::KEY;
        connection = _settings.postgresConnection;
        // libpq prints NOTICEs (e.g. "already exists, skipping") on stderr.
        setup = [](Poco::Data::Session& session) {
            session << "SET client_min_messages TO WARNING", now;
        };
    }

    Poco::AutoPtr<SqlSessionPool> pool;
    try {
        if (_settings.backend == Backend::SQLite)
            checkSqliteLocation(_settings.sqlitePath);
        pool = new SqlSessionPool(connector, connection, _settings.minSessions,
                                  _settings.maxSessions, std::max(1, _settings.idleSeconds),
                                  setup);
        Poco::Data::Session first = pool->acquire(std::chrono::milliseconds(0));
        int one = 0;
        first << "SELECT 1", into(one), now;
    } catch (const std::exception& error) {
        if (pool)
            pool->shutdown();
        const std::string advice = _settings.backend == Backend::SQLite
            ? "check that the directory exists, is writable by this user and is on a local "
              "filesystem"
            : "check the connection settings, that the server is running and accepts this "
              "user, and that the database exists";
        throw std::runtime_error("cannot open " + describeTarget() + ": " + describe(error)
                                 + " (" + advice + ")");
    }
    _pool = pool;
    _connector = connector;
    _connection = connection;
    _setup = setup;
    if (_settings.backend == Backend::SQLite) {
        _reads = std::make_shared<SqlitePreparedReads>(_settings.sqlitePath, _settings.maxSessions,
                                                       _settings.busyTimeoutMs);
        // One connection: SQLite takes one writer at a time anyway, and waiting for it here on
        // a condition variable is cheaper than in SQLite's sleeping busy handler.
        _writes = std::make_shared<SqlitePreparedReads>(_settings.sqlitePath, 1, _settings.busyTimeoutMs,
                                                        SqlitePreparedReads::Mode::Write);
    }
    _logger.information("opened %s (pool of at most %d sessions)", describeTarget(),
                        _settings.maxSessions);
}

void PooledDatabase::renewPool()
{
    if (_settings.backend != Backend::PostgreSQL)
        return;
    Poco::AutoPtr<SqlSessionPool> fresh;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (!_pool)
            return;
        fresh = new SqlSessionPool(_connector, _connection, _settings.minSessions, _settings.maxSessions,
                                   std::max(1, _settings.idleSeconds), _setup);
        // Not shut down: that would close the sessions in use too, and a request may still be
        // running on one that works.
        _retiredPools.push_back(_pool);
        _pool = fresh;
    }
    _logger.information("new connections to %s from now on", describeTarget());
}

void PooledDatabase::close()
{
    Poco::AutoPtr<SqlSessionPool> pool;
    std::vector<Poco::AutoPtr<SqlSessionPool>> retired;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        pool.swap(_pool);
        retired.swap(_retiredPools);
        _reads.reset();
        _writes.reset();
    }
    if (!pool)
        return;
    pool->shutdown();
    _logger.information("closed %s", describeTarget());
}

bool PooledDatabase::isOpen() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return !_pool.isNull();
}

Poco::AutoPtr<SqlSessionPool> PooledDatabase::pool() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (!_pool)
        throw std::logic_error("the database is not open");
    return _pool;
}

void PooledDatabase::prepareSqliteConnection(Poco::Data::Session& session) const
{
    int busyTimeout = 0;
    session << "PRAGMA busy_timeout = " + std::to_string(_settings.busyTimeoutMs),
        into(busyTimeout), now;
    std::string journalMode;
    session << "PRAGMA journal_mode = WAL", into(journalMode), now;
    if (Poco::toLower(journalMode) != "wal")
        throw std::runtime_error("SQLite refused WAL mode (journal mode is '" + journalMode
                                 + "'); use a file on a local filesystem, not :memory:");
    session << "PRAGMA foreign_keys = ON", now;
    session << "PRAGMA synchronous = NORMAL", now;
    int foreignKeys = 0;
    session << "PRAGMA foreign_keys", into(foreignKeys), now;
    if (foreignKeys != 1)
        throw std::runtime_error("SQLite did not enable foreign keys");
}

Poco::Data::Session PooledDatabase::acquire()
{
    Poco::Data::Session session =
        pool()->acquire(std::chrono::milliseconds(std::max(0, _settings.poolWaitMs)));
    // A session given back inside a BEGIN it ran itself would hand its open transaction to
    // the next user; Poco only rolls back transactions started with Session::begin().
    if (_settings.backend == Backend::SQLite && !session.getFeature("autoCommit")) {
        _logger.warning("a database session came back inside a transaction; rolling it back");
        session << "ROLLBACK", now;
    }
    return session;
}

Poco::Data::Session PooledDatabase::session()
{
    if (Poco::Data::Session* active = activeWriteSession(this))
        return *active;
    return acquire();
}

void PooledDatabase::bindAll(Poco::Data::Statement& statement, const std::string& sql,
                             const std::vector<Poco::Dynamic::Var>& params) const
{
    statement << translate(sql);
    for (const auto& value : params) {
        if (value.isEmpty())
            statement, bind(Poco::Nullable<std::string>());
        else if (value.isInteger() || value.isBoolean())
            statement, bind(value.convert<Poco::Int64>());
        else
            statement, bind(value.convert<std::string>());
    }
}

std::vector<Database::Row> PooledDatabase::select(const std::string& sql, const std::vector<Poco::Dynamic::Var>& params)
{
    std::shared_ptr<SqlitePreparedReads> reads;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        reads = _reads;
    }
    if (reads && !activeWriteSession(this))
        return reads->select(sql, params);
    Poco::Data::Session session = this->session();
    Poco::Data::Statement statement(session);
    bindAll(statement, sql, params);
    statement.execute();
    Poco::Data::RecordSet records(statement);
    std::vector<Row> rows;
    for (std::size_t r = 0; r < records.rowCount(); ++r) {
        Row row(records.columnCount());
        for (std::size_t c = 0; c < records.columnCount(); ++c) {
            if (!records.isNull(c, r))
                row[c] = records.value(c, r);
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::int64_t PooledDatabase::execute(const std::string& sql, const std::vector<Poco::Dynamic::Var>& params)
{
    std::shared_ptr<SqlitePreparedReads> writes;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        writes = _writes;
    }
    if (writes && !activeWriteSession(this))
        return writes->execute(sql, params);
    std::int64_t changed = 0;
    const auto run = [&](Poco::Data::Session& session) {
        Poco::Data::Statement statement(session);
        bindAll(statement, sql, params);
        changed = static_cast<std::int64_t>(statement.execute());
    };
    if (Poco::Data::Session* active = activeWriteSession(this))
        run(*active);
    else
        write(run);
    return changed;
}

void PooledDatabase::write(const std::function<void(Poco::Data::Session&)>& work)
{
    if (activeWriteSession(this))
        throw std::logic_error("nested Database::write() on the same thread: do the work in "
                               "the outer write() with the session it passes");
    Poco::Data::Session session = acquire();
    const bool sqlite = _settings.backend == Backend::SQLite;
    if (sqlite)
        session << "BEGIN IMMEDIATE", now;
    else
        session.begin();

    ActiveWriteScope scope(this, &session);
    try {
        work(session);
        if (sqlite)
            session << "COMMIT", now;
        else
            session.commit();
    } catch (...) {
        try {
            if (sqlite)
                session << "ROLLBACK", now;
            else
                session.rollback();
        } catch (const std::exception& error) {
            _logger.error("rollback failed: %s", describe(error));
        }
        throw;
    }
}

std::string PooledDatabase::translate(const std::string& sql) const
{
    return _dialect.translate(sql);
}

void PooledDatabase::ensureMigrationTable(Poco::Data::Session& session) const
{
    const std::string lock = _dialect.migrationLock();
    if (!lock.empty()) {
        int locked = 0;
        session << lock, into(locked), now;
    }
    session << _dialect.translate("CREATE TABLE IF NOT EXISTS schema_migrations ("
                                  " owner VARCHAR(100) NOT NULL,"
                                  " number INTEGER NOT NULL,"
                                  " name VARCHAR(200) NOT NULL,"
                                  " applied_at {{bigint}} NOT NULL,"
                                  " PRIMARY KEY (owner, number))"),
        now;
}

std::vector<std::pair<int, std::string>> PooledDatabase::appliedMigrations(const std::string& owner)
{
    std::vector<int> numbers;
    std::vector<std::string> names;
    write([&](Poco::Data::Session& session) {
        ensureMigrationTable(session);
        std::string ownerValue = owner;
        session << translate("SELECT number, name FROM schema_migrations WHERE owner = ? "
                             "ORDER BY number"),
            into(numbers), into(names), use(ownerValue), now;
    });
    std::vector<std::pair<int, std::string>> applied;
    for (std::size_t i = 0; i < numbers.size(); ++i)
        applied.emplace_back(numbers[i], names[i]);
    return applied;
}

void PooledDatabase::migrate(const std::string& owner, const std::vector<Migration>& migrations)
{
    if (owner.empty())
        throw std::invalid_argument("migrations need an owner");
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        const Migration& m = migrations[i];
        if (m.number < 1 || m.name.empty())
            throw std::invalid_argument("migration " + label(owner, m.number, m.name)
                                        + ": needs a number >= 1 and a name");
        if (i > 0 && m.number <= migrations[i - 1].number)
            throw std::invalid_argument(
                "migrations of " + owner + " must have strictly increasing numbers: "
                + label(owner, m.number, m.name) + " follows "
                + label(owner, migrations[i - 1].number, migrations[i - 1].name));
    }

    std::vector<const Migration*> pending;
    checkRecorded(owner, migrations, pending);
    for (const Migration* migration : pending)
        apply(owner, *migration);
}

void PooledDatabase::checkRecorded(const std::string& owner,
                                   const std::vector<Migration>& migrations,
                                   std::vector<const Migration*>& pending)
{
    std::map<int, std::string> recorded;
    try {
        for (const auto& [number, name] : appliedMigrations(owner))
            recorded.emplace(number, name);
    } catch (const std::exception& error) {
        throw std::runtime_error("cannot read the recorded migrations of " + owner + ": "
                                 + describe(error));
    }

    std::map<int, std::string> known;
    std::map<int, const Migration*> byNumber;
    for (const Migration& m : migrations) {
        known.emplace(m.number, m.name);
        byNumber.emplace(m.number, &m);
    }
    for (const int number : pendingMigrations(owner, known, recorded))
        pending.push_back(byNumber.at(number));
}

void PooledDatabase::apply(const std::string& owner, const Migration& migration)
{
    const std::string name = label(owner, migration.number, migration.name);
    bool applied = false;
    try {
        write([&](Poco::Data::Session& session) {
            ensureMigrationTable(session);
            std::string ownerValue = owner;
            int number = migration.number;
            std::vector<std::string> recordedName;
            session << translate("SELECT name FROM schema_migrations WHERE owner = ? AND "
                                 "number = ?"),
                into(recordedName), use(ownerValue), use(number), now;
            if (!recordedName.empty()) {
                // Another instance applied it while we waited for the lock.
                if (recordedName.front() != migration.name)
                    throw MigrationRefused("migration " + owner + "/"
                                           + Poco::NumberFormatter::format0(number, 3)
                                           + " was applied as '" + recordedName.front()
                                           + "' but is now called '" + migration.name + "'");
                return;
            }
            const SqlScript script(migration.sql);
            for (const std::string& statement : script.statements())
                session << translate(statement), now;
            std::string nameValue = migration.name;
            session << translate("INSERT INTO schema_migrations (owner, number, name, applied_at)"
                                 " VALUES (?, ?, ?, {{now}})"),
                use(ownerValue), use(number), use(nameValue), now;
            applied = true;
        });
    } catch (const MigrationRefused&) {
        throw;
    } catch (const std::exception& error) {
        throw std::runtime_error("migration " + name + " failed: " + describe(error));
    }
    if (applied)
        _logger.information("applied migration %s", name);
}

} // namespace comfygate
