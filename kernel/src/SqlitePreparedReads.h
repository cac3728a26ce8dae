#pragma once

#include <Poco/Dynamic/Var.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace comfygate {

/// Reads on the request hot path for SQLite: a few read-only connections of the kernel's own,
/// each keeping its statements prepared, so a query costs a bind and a step instead of the
/// ~30 µs Poco::Data spends parsing the SQL anew every time. WAL lets these readers run beside
/// the pool's writers; each statement sees what was committed before it started, so a
/// revocation committed by any connection (or process) is seen by the next read.
class SqlitePreparedReads
{
public:
    using Row = std::vector<Poco::Dynamic::Var>;

    SqlitePreparedReads(std::string path, int maxConnections, int busyTimeoutMs);
    ~SqlitePreparedReads();
    SqlitePreparedReads(const SqlitePreparedReads&) = delete;
    SqlitePreparedReads& operator=(const SqlitePreparedReads&) = delete;

    /// Runs `sql` with `params` (strings, integers, doubles, empty = NULL) and returns the rows:
    /// INTEGER as Int64, REAL as double, TEXT and BLOB as std::string, NULL as empty.
    /// Throws std::runtime_error with SQLite's message.
    std::vector<Row> select(const std::string& sql, const std::vector<Poco::Dynamic::Var>& params);

private:
    struct Connection;

    std::unique_ptr<Connection> acquire();
    void release(std::unique_ptr<Connection> connection);
    std::unique_ptr<Connection> openConnection() const;

    std::string _path;
    int _maxConnections;
    int _busyTimeoutMs;
    std::mutex _mutex;
    std::condition_variable _returned;
    std::vector<std::unique_ptr<Connection>> _idle;
    int _open = 0;
};

} // namespace comfygate
