#pragma once

#include "AccessLog.h"
#include "HttpPipeline.h"
#include "HttpServer.h"

#include <string>
#include <vector>

namespace comfygate {

class Configuration;

/// The kernel's own configuration, read and validated in one place at startup so that a
/// bad value stops the server with a message naming the key before anything starts.
struct KernelSettings
{
    std::string dataDir;       ///< absolute
    std::string logLevel;
    HttpServer::Settings http;
    HttpPipeline::Settings pipeline;
    AccessLog::Format accessLog = AccessLog::Format::Text;
    int drainSeconds = 10;
    std::size_t defaultBodyLimit = 1024 * 1024;
    std::string metricsPermission;
    std::vector<std::string> modulesDirs;
    std::vector<std::string> modulesEnabled;
    std::vector<std::string> modulesDisabled;
    std::string groupsFile;    ///< empty: the compiled-in etc/groups.json
    std::size_t effectiveCacheEntries = 10000; ///< memoised effective permission sets
    std::string policyDir;
    std::string wwwDir;        ///< the web console's files (served under /console/)
    int policyWatchSeconds = 2;
    int schedulerWorkers = 4;
    int schedulerQueue = 1024;

    /// Throws std::invalid_argument naming the key.
    static KernelSettings read(const Configuration& config);
};

} // namespace comfygate
