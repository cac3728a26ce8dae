#pragma once

#include <Poco/Dynamic/Var.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace comfygate {

/// Statements on the request hot path for SQLite: a few connections of the kernel's own, each
/// keeping its statements prepared, so a statement costs a bind and a step instead of the
/// ~30 µs Poco::Data spends parsing the SQL anew every time.
///
/// Mode::Read: read-only connections. WAL lets them run beside the pool's writers; each
/// statement sees what was committed before it started, so a revocation committed by any
/// connection (or process) is seen by the next read.
/// Mode::Write: read-write connections for single-statement writes, each its own implicit
/// transaction; they wait for the write lock like the pool's writers (busy timeout).
class SqlitePreparedReads
{
public:
    using Row = std::vector<Poco::Dynamic::Var>;

    enum class Mode
    {
        Read,
        Write
    };

    SqlitePreparedReads(std::string path, int maxConnections, int busyTimeoutMs, Mode mode = Mode::Read);
    ~SqlitePreparedReads();
    SqlitePreparedReads(const SqlitePreparedReads&) = delete;
    SqlitePreparedReads& operator=(const SqlitePreparedReads&) = delete;

    /// Runs `sql` with `params` (strings, integers, doubles, empty = NULL) and returns the rows:
    /// INTEGER as Int64, REAL as double, TEXT and BLOB as std::string, NULL as empty.
    /// Throws std::runtime_error with SQLite's message.
    std::vector<Row> select(const std::string& sql, const std::vector<Poco::Dynamic::Var>& params);

    /// Runs one writing statement (Mode::Write) and returns how many rows it changed.
    std::int64_t execute(const std::string& sql, const std::vector<Poco::Dynamic::Var>& params);

private:
    struct Connection;

    std::unique_ptr<Connection> acquire();
    void release(std::unique_ptr<Connection> connection);
    std::unique_ptr<Connection> openConnection() const;
    /// Binds, steps to the end and resets; `onRow` sees each result row.
    void run(Connection& connection, const std::string& sql, const std::vector<Poco::Dynamic::Var>& params,
             const std::function<void(sqlite3_stmt*)>& onRow);

    std::string _path;
    int _maxConnections;
    int _busyTimeoutMs;
    Mode _mode;
    std::mutex _mutex;
    std::condition_variable _returned;
    std::vector<std::unique_ptr<Connection>> _idle;
    int _open = 0;
};

} // namespace comfygate
