#include "KernelSettings.h"

#include "ConfigValue.h"
#include "Configuration.h"
#include "InstallLayout.h"

#include <Poco/Logger.h>
#include <Poco/Path.h>

#include <set>
#include <stdexcept>

namespace comfygate {
namespace {

long long intIn(const Configuration& config, const std::string& key, long long low, long long high)
{
    if (config.getString(key, "x").empty())
        throw std::invalid_argument(ConfigValue::describe(key, config.sourceOf(key), "must not be empty"));
    const long long value = config.getInt(key, low);
    if (value < low || value > high)
        throw std::invalid_argument(ConfigValue::describe(key, config.sourceOf(key),
                                                          std::to_string(value) + " is outside " + std::to_string(low) +
                                                              ".." + std::to_string(high)));
    return value;
}

std::vector<IpRange> rangesOf(const Configuration& config, const std::string& key)
{
    try {
        return IpRange::parseList(config.getList(key, {}));
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(ConfigValue::describe(key, config.sourceOf(key), e.what()));
    }
}

std::string absolute(const std::string& path) { return Poco::Path(path).makeAbsolute().toString(); }

} // namespace

KernelSettings KernelSettings::read(const Configuration& config)
{
    KernelSettings s;
    s.dataDir = absolute(config.getString("data.dir", "./var"));
    Poco::Path dataPath(s.dataDir);
    dataPath.makeDirectory();
    s.dataDir = dataPath.toString();
    if (!s.dataDir.empty() && s.dataDir.back() == '/')
        s.dataDir.pop_back();

    s.logLevel = config.getString("log.level", "information");
    try {
        Poco::Logger::parseLevel(s.logLevel);
    } catch (const Poco::Exception&) {
        throw std::invalid_argument(ConfigValue::describe("log.level", config.sourceOf("log.level"),
                                                          "'" + s.logLevel + "' is not a log level"));
    }

    s.http.host = config.getString("http.host", "0.0.0.0");
    s.http.port = static_cast<unsigned>(intIn(config, "http.port", 0, 65535));
    s.http.threads = static_cast<int>(intIn(config, "http.threads", 2, 4096));
    s.http.queue = static_cast<int>(intIn(config, "http.queue", 1, 65536));
    s.http.maxConnections = static_cast<int>(intIn(config, "http.max_connections", 1, 1000000));
    s.http.keepAliveSeconds = static_cast<int>(intIn(config, "http.keep_alive_seconds", 0, 3600));
    s.http.receiveTimeoutSeconds = static_cast<int>(intIn(config, "http.receive_timeout_seconds", 1, 3600));
    s.http.headerTimeoutSeconds = static_cast<int>(intIn(config, "http.header_timeout_seconds", 1, 3600));
    s.http.bodyTimeoutSeconds = static_cast<int>(intIn(config, "http.body_timeout_seconds", 1, 3600));
    s.http.bodyMinBytesPerSecond = static_cast<int>(intIn(config, "http.body_min_bytes_per_second", 1, 1 << 30));
    s.http.drain.bytes = static_cast<std::size_t>(intIn(config, "http.drain_limit_kb", 0, 1 << 20)) * 1024;
    s.http.drain.deadline = Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(intIn(config, "http.drain_timeout_ms", 0, 60000)) * 1000);
    s.http.portFile = config.getString("http.port_file", "");
    s.http.reusePort = config.getBool("http.reuse_port", false);
    s.http.tlsCert = config.getString("http.tls.cert", "");
    s.http.tlsKey = config.getString("http.tls.key", "");
    if (s.http.tlsCert.empty() != s.http.tlsKey.empty())
        throw std::invalid_argument("configuration keys http.tls.cert and http.tls.key must be set together");
    s.drainSeconds = static_cast<int>(intIn(config, "http.drain_seconds", 0, 600));
    s.defaultBodyLimit = static_cast<std::size_t>(intIn(config, "http.max_body_bytes", 1024, 1LL << 40));

    s.pipeline.trustedProxies = rangesOf(config, "http.trusted_proxies");
    s.pipeline.allow = rangesOf(config, "http.ip_allow");
    s.pipeline.deny = rangesOf(config, "http.ip_deny");
    s.pipeline.tls = !s.http.tlsCert.empty();
    s.pipeline.swarmFirstMessageSeconds = static_cast<int>(intIn(config, "http.swarm_ws_first_message_seconds", 1, 600));
    try {
        s.accessLog = AccessLog::parseFormat(config.getString("http.access_log", "text"));
    } catch (const std::invalid_argument&) {
        throw std::invalid_argument(ConfigValue::describe("http.access_log", config.sourceOf("http.access_log"),
                                                          "must be off, text or json"));
    }
    s.metricsPermission = config.getString("http.metrics_permission", "can_view_metrics");

    const std::string backend = config.getString("db.backend", "sqlite");
    if (backend != "sqlite" && backend != "postgresql")
        throw std::invalid_argument(ConfigValue::describe("db.backend", config.sourceOf("db.backend"),
                                                          "'" + backend + "' must be sqlite or postgresql"));
    intIn(config, "db.pool.min", 1, 256);
    intIn(config, "db.pool.max", 1, 256);
    intIn(config, "db.sqlite.busy_timeout_ms", 0, 600000);
    intIn(config, "db.postgres.port", 1, 65535);

    s.modulesDirs = config.getList("modules.dir", {});
    if (s.modulesDirs.empty())
        s.modulesDirs.push_back(InstallLayout::current().moduleDir());
    s.modulesEnabled = config.getList("modules.enabled", {});
    s.modulesDisabled = config.getList("modules.disabled", {});

    s.groupsFile = config.getString("permissions.groups_file", "");
    s.effectiveCacheEntries =
        static_cast<std::size_t>(intIn(config, "permissions.effective_cache_entries", 0, 10000000));
    s.policyDir = config.getString("policy.dir", "");
    if (s.policyDir.empty())
        s.policyDir = InstallLayout::current().policyDir();
    s.wwwDir = config.getString("http.www_dir", "");
    if (s.wwwDir.empty())
        s.wwwDir = InstallLayout::current().wwwDir();
    s.policyWatchSeconds = static_cast<int>(intIn(config, "policy.watch_seconds", 0, 3600));
    intIn(config, "policy.max_instructions", 1000, 1000000000);
    intIn(config, "policy.max_millis", 1, 60000);
    intIn(config, "policy.event_deadline_ms", 1, 600000);
    intIn(config, "policy.max_memory_bytes", 1 << 20, 1LL << 32);

    s.schedulerWorkers = static_cast<int>(intIn(config, "scheduler.workers", 1, 256));
    s.schedulerQueue = static_cast<int>(intIn(config, "scheduler.queue", 1, 1000000));

    for (const auto& key : {"comfy.separate_users", "auth.require_auth_for_remote_api", "auth.allow_guest_jwt",
                            "auth.mfa_disabled", "experimental.enabled", "experimental.mfa", "experimental.s3",
                            "experimental.model_isolation"})
        config.getBool(key, false);
    return s;
}

} // namespace comfygate
