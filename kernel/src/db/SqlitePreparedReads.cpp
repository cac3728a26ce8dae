#include "SqlitePreparedReads.h"

#include <Poco/Data/SQLite/SQLiteException.h>

#include <sqlite3.h>

#include <stdexcept>

namespace comfygate {

struct SqlitePreparedReads::Connection
{
    sqlite3* db = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> statements;

    ~Connection()
    {
        for (auto& [sql, statement] : statements)
            sqlite3_finalize(statement);
        if (db)
            sqlite3_close_v2(db);
    }

    [[noreturn]] void fail(const std::string& what) const
    {
        const std::string message = what + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
        const int code = db ? (sqlite3_errcode(db) & 0xff) : SQLITE_NOMEM;
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
            throw Poco::Data::SQLite::DBLockedException(message); // DatabaseBusy: answered 503
        throw std::runtime_error(message);
    }

    sqlite3_stmt* prepared(const std::string& sql)
    {
        const auto found = statements.find(sql);
        if (found != statements.end())
            return found->second;
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &statement,
                               nullptr) != SQLITE_OK)
            fail("cannot prepare " + sql);
        statements.emplace(sql, statement);
        return statement;
    }
};

SqlitePreparedReads::SqlitePreparedReads(std::string path, int maxConnections, int busyTimeoutMs, Mode mode)
    : _path(std::move(path)), _maxConnections(std::max(1, maxConnections)), _busyTimeoutMs(busyTimeoutMs), _mode(mode)
{
}

SqlitePreparedReads::~SqlitePreparedReads() = default;

std::unique_ptr<SqlitePreparedReads::Connection> SqlitePreparedReads::openConnection() const
{
    auto connection = std::make_unique<Connection>();
    // Without SQLite's own mutex: one thread holds a connection at a time.
    const int flags = (_mode == Mode::Read ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(_path.c_str(), &connection->db, flags, nullptr) != SQLITE_OK)
        connection->fail("cannot open " + _path + (_mode == Mode::Read ? " for reading" : " for writing"));
    sqlite3_busy_timeout(connection->db, _busyTimeoutMs);
    // The same per-connection settings as the pool's sessions (PooledDatabase), so a write
    // here is exactly as durable and as checked as one through write().
    if (_mode == Mode::Write &&
        sqlite3_exec(connection->db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", nullptr, nullptr,
                     nullptr) != SQLITE_OK)
        connection->fail("cannot set up " + _path);
    return connection;
}

std::unique_ptr<SqlitePreparedReads::Connection> SqlitePreparedReads::acquire()
{
    std::unique_lock<std::mutex> lock(_mutex);
    _returned.wait(lock, [this] { return !_idle.empty() || _open < _maxConnections; });
    if (!_idle.empty()) {
        auto connection = std::move(_idle.back());
        _idle.pop_back();
        return connection;
    }
    ++_open;
    lock.unlock();
    try {
        return openConnection();
    } catch (...) {
        std::lock_guard<std::mutex> again(_mutex);
        --_open;
        _returned.notify_one();
        throw;
    }
}

void SqlitePreparedReads::release(std::unique_ptr<Connection> connection)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _idle.push_back(std::move(connection));
    _returned.notify_one();
}

void SqlitePreparedReads::run(Connection& connection, const std::string& sql,
                              const std::vector<Poco::Dynamic::Var>& params,
                              const std::function<void(sqlite3_stmt*)>& onRow)
{
    sqlite3_stmt* statement = connection.prepared(sql);
    // Reset whatever happens, so the statement holds no lock and no bound value afterwards.
    struct ResetOnExit
    {
        sqlite3_stmt* statement;
        ~ResetOnExit()
        {
            sqlite3_reset(statement);
            sqlite3_clear_bindings(statement);
        }
    } reset{statement};
    for (std::size_t i = 0; i < params.size(); ++i) {
        const int index = static_cast<int>(i) + 1;
        const Poco::Dynamic::Var& value = params[i];
        int rc = SQLITE_OK;
        if (value.isEmpty())
            rc = sqlite3_bind_null(statement, index);
        else if (value.isInteger() || value.isBoolean())
            rc = sqlite3_bind_int64(statement, index, value.convert<Poco::Int64>());
        else if (value.isNumeric())
            rc = sqlite3_bind_double(statement, index, value.convert<double>());
        else {
            const std::string text = value.convert<std::string>();
            rc = sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
        }
        if (rc != SQLITE_OK)
            connection.fail("cannot bind parameter " + std::to_string(index) + " of " + sql);
    }
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
        onRow(statement);
    if (rc != SQLITE_DONE)
        connection.fail("cannot run " + sql);
}

std::vector<SqlitePreparedReads::Row> SqlitePreparedReads::select(const std::string& sql,
                                                                  const std::vector<Poco::Dynamic::Var>& params)
{
    auto connection = acquire();
    std::vector<Row> rows;
    const auto collect = [&rows](sqlite3_stmt* statement) {
        const int columns = sqlite3_column_count(statement);
        Row row(static_cast<std::size_t>(columns));
        for (int c = 0; c < columns; ++c) {
            switch (sqlite3_column_type(statement, c)) {
            case SQLITE_INTEGER:
                row[c] = static_cast<Poco::Int64>(sqlite3_column_int64(statement, c));
                break;
            case SQLITE_FLOAT:
                row[c] = sqlite3_column_double(statement, c);
                break;
            case SQLITE_NULL:
                break;
            default: {
                const auto* bytes = static_cast<const char*>(sqlite3_column_blob(statement, c));
                row[c] = std::string(bytes ? bytes : "", static_cast<std::size_t>(sqlite3_column_bytes(statement, c)));
            }
            }
        }
        rows.push_back(std::move(row));
    };
    try {
        run(*connection, sql, params, collect);
    } catch (...) {
        release(std::move(connection));
        throw;
    }
    release(std::move(connection));
    return rows;
}

std::int64_t SqlitePreparedReads::execute(const std::string& sql, const std::vector<Poco::Dynamic::Var>& params)
{
    if (_mode != Mode::Write)
        throw std::logic_error("SqlitePreparedReads::execute on read-only connections: " + sql);
    auto connection = acquire();
    std::int64_t changed = 0;
    try {
        run(*connection, sql, params, [](sqlite3_stmt*) {});
        changed = sqlite3_changes64(connection->db);
    } catch (...) {
        release(std::move(connection));
        throw;
    }
    release(std::move(connection));
    return changed;
}

} // namespace comfygate
