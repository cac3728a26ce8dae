#pragma once

#include "TempDir.h"

#include <map>
#include <string>
#include <vector>

namespace comfygate::test {

/// A throwaway PostgreSQL cluster for one test: initdb in a temp dir, a server listening only
/// on a Unix socket in that dir (no TCP), fsync off; stopped (immediate) and removed on
/// destruction. Runs the server as the `postgres` user when the tests run as root.
class PostgresCluster
{
public:
    /// The directory holding initdb, pg_ctl and postgres: $COMFYGATE_PG_BINDIR, else the
    /// newest /usr/lib/postgresql/<version>/bin, else the PATH; "" when not installed.
    static std::string binDir();

    /// Starts the cluster; throws std::runtime_error with the tool's output on failure.
    PostgresCluster();
    ~PostgresCluster();
    PostgresCluster(const PostgresCluster&) = delete;
    PostgresCluster& operator=(const PostgresCluster&) = delete;

    /// A libpq key=value connection string for the superuser `comfygate` on `database`.
    std::string connectionString(const std::string& database = "postgres") const;

    /// The `--set` overrides that put a comfygate server on `database` of this cluster
    /// (db.backend=postgresql, host, port, user, database, a small pool).
    std::map<std::string, std::string> gatewaySettings(const std::string& database) const;

    /// Stops the server as an outage would (fast: every connection is cut), and starts it again
    /// on the same data, socket and port; both throw on failure. Not `immediate`: this cluster
    /// commits asynchronously (for speed), so a crash-like stop would lose the last commits,
    /// which a production server (synchronous_commit on) never does.
    void stop();
    void start();

    /// Creates a database, for tests that want a fresh one.
    void createDatabase(const std::string& name) const;

private:
    void run(const std::string& tool, const std::vector<std::string>& args) const;

    std::string _binDir;
    TempDir _dir;
    int _port = 54329;
    bool _started = false;
};

} // namespace comfygate::test
