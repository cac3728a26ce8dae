#pragma once

#include <Poco/Data/Session.h>
#include <Poco/Dynamic/Var.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace comfygate {

/// One numbered migration of a module, from its sql/NNN_name.sql file.
struct Migration
{
    int number;
    std::string name;
    std::string sql; ///< may use the portable tokens documented in Database::translate()
};

/// The kernel's database: a pool of Poco::Data sessions on SQLite (WAL) or PostgreSQL.
/// Modules write portable SQL with `?` placeholders and pass every statement through
/// translate() (PostgreSQL's connector wants `$1, $2, ...`); dialect differences stay in here.
/// Inside write(), session() on the same thread returns the transaction's session.
class Database
{
public:
    enum class Backend
    {
        SQLite,
        PostgreSQL
    };

    virtual ~Database() = default;

    virtual Backend backend() const = 0;

    /// A session from the pool; it returns to the pool when the last copy goes.
    virtual Poco::Data::Session session() = 0;

    /// One row of select(): the columns in order, each an Int64, a double, a std::string (TEXT
    /// and BLOB) or empty (NULL).
    using Row = std::vector<Poco::Dynamic::Var>;

    /// A read for the request hot path (credentials and the like): portable SQL with `?`
    /// placeholders, `params` strings, integers or empty (NULL). On SQLite the statement stays
    /// prepared on the kernel's own read-only connections, so a query costs a bind and a step
    /// instead of a parse (Poco::Data parses every statement anew); on PostgreSQL, and inside
    /// write() on the same thread, it runs through the session as usual. It sees everything
    /// committed before it starts, by any connection or process.
    virtual std::vector<Row> select(const std::string& sql, const std::vector<Poco::Dynamic::Var>& params) = 0;

    /// One writing statement on the request hot path (an INSERT, UPDATE or DELETE), in its own
    /// transaction: portable SQL with `?` placeholders and `params` as for select(). On SQLite
    /// it runs on the kernel's own prepared read-write connections (a bind and a step instead
    /// of Poco::Data's parse of BEGIN, the statement and COMMIT); on PostgreSQL, and inside
    /// write() on the same thread (joining that transaction), through a session as usual.
    /// @return the number of rows changed
    virtual std::int64_t execute(const std::string& sql, const std::vector<Poco::Dynamic::Var>& params) = 0;

    /// Runs `work` inside a write transaction (SQLite: BEGIN IMMEDIATE, so it never fails
    /// with SQLITE_BUSY halfway; PostgreSQL: BEGIN). Commits when `work` returns, rolls back
    /// and rethrows when it throws.
    virtual void write(const std::function<void(Poco::Data::Session&)>& work) = 0;

    /// Applies the owner's migrations that are not yet recorded, each in its own
    /// transaction, in number order. Throws naming the owner and the migration on failure.
    virtual void migrate(const std::string& owner, const std::vector<Migration>& migrations) = 0;

    /// Replaces portable tokens with this backend's SQL:
    ///   {{id}}     an auto-increment integer primary key column type
    ///   {{blob}}   binary column type
    ///   {{bigint}} 64-bit integer column type
    ///   {{now}}    current Unix time in seconds (integer expression)
    ///   {{skip_locked}}  at the end of a SELECT inside write(): on PostgreSQL
    ///              `FOR UPDATE SKIP LOCKED` (rows another transaction holds are skipped, the
    ///              others locked until commit); nothing on SQLite, whose write() already
    ///              holds the database's only write lock
    ///   {{xact_lock:NAME}}  a whole statement (read one integer from it) that, inside
    ///              write(), waits for every other instance's transaction holding the lock
    ///              NAME (letters, digits, `_`, `.`) and holds it until commit: a
    ///              PostgreSQL advisory transaction lock; `SELECT 1` on SQLite. Makes a
    ///              count-then-insert exact across instances sharing the database.
    /// and, on PostgreSQL, renumbers `?` placeholders to `$n`.
    virtual std::string translate(const std::string& sql) const = 0;
};

} // namespace comfygate
