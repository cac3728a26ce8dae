#pragma once

#include "SqlDialect.h"
#include "SqlSessionPool.h"
#include "SqlitePreparedReads.h"
#include "comfygate/Database.h"

#include <Poco/AutoPtr.h>
#include <Poco/Logger.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace comfygate {

/// How to reach the database and size its pool (filled from the `db.*` configuration).
struct DatabaseSettings
{
    Database::Backend backend = Database::Backend::SQLite;
    /// SQLite database file; its directory must exist. Must be on a local filesystem (WAL
    /// needs shared memory).
    std::string sqlitePath;
    /// libpq `key=value` connection string ("host=db port=5432 dbname=comfygate user=cg
    /// password=..."). Poco's connector does not take the `postgresql://` URI form.
    std::string postgresConnection;
    int minSessions = 1;        ///< sessions kept open when idle
    int maxSessions = 16;       ///< at most this many connections
    int idleSeconds = 60;       ///< idle sessions above minSessions close after this
    int busyTimeoutMs = 10000;  ///< SQLite: how long a writer waits for the write lock
    int poolWaitMs = 10000;     ///< how long session() waits when all sessions are in use
};

/// The kernel's Database: a Poco::Data session pool on SQLite (WAL) or PostgreSQL.
///
/// Every SQLite connection runs with journal_mode=WAL (checked), busy_timeout,
/// foreign_keys=ON and synchronous=NORMAL. Writers serialise on the database's write lock
/// through write(): BEGIN IMMEDIATE takes it up front, so a writer waits (up to the busy
/// timeout) instead of failing with SQLITE_BUSY halfway through.
///
/// On the thread running write(), session() returns that transaction's session, so helper
/// code (and DatabaseAudit) joins the transaction instead of waiting for a lock its own
/// thread holds. A nested write() on that thread throws std::logic_error.
///
/// Every session must be released before close() and before the object is destroyed.
/// Log messages go to the logger "comfygate.database".
class PooledDatabase : public Database
{
public:
    /// Registers the SQLite and PostgreSQL connectors (once per process); opens nothing.
    explicit PooledDatabase(DatabaseSettings settings);
    ~PooledDatabase() override;

    PooledDatabase(const PooledDatabase&) = delete;
    PooledDatabase& operator=(const PooledDatabase&) = delete;

    /// Creates the pool and checks that a first connection works and is set up. Throws
    /// std::runtime_error naming the SQLite file or the PostgreSQL host and what to check.
    void open();

    /// Closes every connection; a no-op when not open.
    void close();

    bool isOpen() const;

    /// PostgreSQL, after the server was unreachable: new sessions come from a fresh pool, so
    /// no request gets a connection the server closed meanwhile (each would fail once before
    /// the pool noticed). Sessions in use finish on the old pool, which is kept (with its
    /// idle sessions) until close().
    /// A no-op on SQLite or when not open.
    void renewPool();

    const DatabaseSettings& settings() const { return _settings; }

    Backend backend() const override;

    /// Throws std::logic_error when not open, std::runtime_error when no session frees up
    /// within DatabaseSettings::poolWaitMs.
    Poco::Data::Session session() override;

    void write(const std::function<void(Poco::Data::Session&)>& work) override;
    std::vector<Row> select(const std::string& sql, const std::vector<Poco::Dynamic::Var>& params) override;
    std::int64_t execute(const std::string& sql, const std::vector<Poco::Dynamic::Var>& params) override;

    /// Records migrations in `schema_migrations(owner, number, name, applied_at)`. Throws
    /// std::invalid_argument when numbers are not strictly increasing, std::runtime_error
    /// when a recorded migration was renamed, is unknown to this build, or a pending one is
    /// older than an applied one, and `migration <owner>/<NNN_name> failed: <db message>`
    /// when one fails (its statements are rolled back). On PostgreSQL an advisory lock
    /// serialises instances migrating at the same time.
    void migrate(const std::string& owner, const std::vector<Migration>& migrations) override;

    /// See SqlDialect::translate(): also numbers `?` placeholders on PostgreSQL, so
    /// statements with placeholders should go through translate() as well.
    std::string translate(const std::string& sql) const override;

    /// The owner's recorded migrations as (number, name), in number order.
    std::vector<std::pair<int, std::string>> appliedMigrations(const std::string& owner);

private:
    Poco::AutoPtr<SqlSessionPool> pool() const;
    Poco::Data::Session acquire();
    void prepareSqliteConnection(Poco::Data::Session& session) const;
    void ensureMigrationTable(Poco::Data::Session& session) const;
    void checkRecorded(const std::string& owner, const std::vector<Migration>& migrations,
                       std::vector<const Migration*>& pending);
    void apply(const std::string& owner, const Migration& migration);
    std::string describeTarget() const;
    /// The statement with its parameters bound, on `session`.
    void bindAll(Poco::Data::Statement& statement, const std::string& sql,
                 const std::vector<Poco::Dynamic::Var>& params) const;

    DatabaseSettings _settings;
    SqlDialect _dialect;
    mutable std::mutex _mutex;
    Poco::AutoPtr<SqlSessionPool> _pool;
    SqlSessionPool::Setup _setup;
    std::string _connector;
    std::string _connection;
    /// Replaced by renewPool(), alive until close(): their sessions in use refer to them.
    std::vector<Poco::AutoPtr<SqlSessionPool>> _retiredPools;
    std::shared_ptr<SqlitePreparedReads> _reads;  ///< SQLite only
    std::shared_ptr<SqlitePreparedReads> _writes; ///< SQLite only
    Poco::Logger& _logger;
};

} // namespace comfygate
