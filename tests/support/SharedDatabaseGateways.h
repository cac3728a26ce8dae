#pragma once

#include "NginxProxy.h"
#include "PostgresCluster.h"
#include "ServerProcess.h"
#include "TempDir.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace comfygate::test {

/// Several comfygate instances on one PostgreSQL database behind Debian's nginx (round robin),
/// the scale-out layout of issue 14: a throwaway cluster, a fresh database, instances that
/// share the server key (so a session signed by one verifies on another) and one models
/// folder (so a download's partial file is where every instance looks for it), each with its
/// own data directory as on separate machines.
class SharedDatabaseGateways
{
public:
    /// Starts the cluster and the first `started` of `count` instances with `settings` (added
    /// to the database's); they are started together, from one thread each, so they race for
    /// the empty database's migrations as instances started by one deploy do. nginx starts
    /// once every instance runs (see start()).
    SharedDatabaseGateways(std::size_t count, std::map<std::string, std::string> settings,
                           std::size_t started = SIZE_MAX);
    /// Starts an instance that was not started yet (or was stopped), and nginx when it was the
    /// last one missing.
    void start(std::size_t index);
    ~SharedDatabaseGateways();

    ServerProcess& instance(std::size_t index) { return *_instances.at(index); }
    std::size_t size() const { return _instances.size(); }
    /// The port of nginx in front of every instance (throws until every instance was started).
    unsigned proxyPort() const;
    PostgresCluster& cluster() { return _cluster; }
    const std::string& database() const { return _database; }
    const std::string& modelsDir() const { return _modelsDir; }

    /// The server key every instance runs with (SECRET_KEY).
    static const std::string& secretKey();

private:
    void startTogether(const std::vector<std::size_t>& indexes);

    PostgresCluster _cluster;
    TempDir _shared;
    std::string _database = "comfygate_scale";
    std::string _modelsDir;
    std::vector<std::unique_ptr<ServerProcess>> _instances;
    std::unique_ptr<NginxProxy> _proxy;
};

} // namespace comfygate::test
