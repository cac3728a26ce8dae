#pragma once

#include "KernelSettings.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace comfygate {

class AccessLog;
class CliCommands;
class Configuration;
class CurlHttpClient;
class DataDirectoryLock;
class DatabaseAudit;
class HttpPipeline;
class HttpServer;
class InProcessEventBus;
class ClusterEventBus;
class EventBus;
class MetricsRegistry;
class ModuleLoader;
class PermissionTable;
class LivePolicyEffects;
class PolicyEngine;
class PooledDatabase;
class Router;
class SealedSecrets;
class ServiceTable;
class WorkerScheduler;
class Authenticator;
struct KernelServices;

/// The comfygate kernel: subsystems started in order — configuration, database, modules,
/// policy, HTTP — and stopped in reverse. The CLI starts only what a command needs.
class Kernel
{
public:
    explicit Kernel(std::unique_ptr<Configuration> config);
    ~Kernel();

    /// Configuration checks, logging, data directory, database and kernel migrations,
    /// secrets, events, scheduler, HTTP client, audit, permissions. `serving`: the process
    /// will serve, so it first takes the data directory's lock (one server per directory).
    void startCore(bool serving = false);
    /// Loads and starts the modules (which apply their migrations).
    /// `serving`: the process will serve HTTP (ModuleContext::serving()).
    void startModules(bool serving);
    /// Loads the Lua policies.
    void startPolicy();
    /// Registers the kernel's routes and starts serving.
    void startHttp();
    /// Stops whatever was started, in reverse order. Idempotent.
    void stop() noexcept;

    /// Reloads the policies; returns the errors (empty on success).
    std::vector<std::string> reloadPolicies(const std::string& actor, const std::string& client);

    /// What replacePolicyFile() did: nothing (no such file), or the reload's errors (empty
    /// when the new text runs).
    struct PolicyEdit
    {
        bool found = false;
        std::vector<std::string> errors;
    };
    /// Writes one policy file (a name GET .../policies lists) and reloads. When the reload
    /// fails the previous text goes back on disk, so the files stay what runs. Edits are
    /// serialised; audited as policy.edit or policy.edit_failed.
    PolicyEdit replacePolicyFile(const std::string& name, const std::string& text, const std::string& actor,
                                 const std::string& client);

    const KernelSettings& settings() const { return _settings; }
    const Configuration& config() const { return *_config; }
    Configuration& mutableConfig() { return *_config; }
    Router& router() { return *_router; }
    PermissionTable& permissions() { return *_permissions; }
    PolicyEngine& policy() { return *_policy; }
    PooledDatabase& database() { return *_database; }
    const DatabaseAudit& audit() const { return *_audit; }
    CliCommands& cli() { return *_cli; }
    ModuleLoader& modules() { return *_modules; }
    MetricsRegistry& metrics() { return *_metrics; }
    HttpServer* httpServer() { return _httpServer.get(); }
    /// Serving, not draining, and the database reachable.
    bool ready() const;
    /// False on PostgreSQL while the connection to the server is lost (see ClusterEventBus).
    bool databaseReachable() const;
    /// The event bus modules get: the cluster's on PostgreSQL.
    EventBus& events();

private:
    void configureLogging();
    void installAuthenticator(std::shared_ptr<Authenticator> authenticator, const std::string& owner);
    void declareKernelPermissions();

    std::unique_ptr<Configuration> _config;
    KernelSettings _settings;
    std::unique_ptr<DataDirectoryLock> _dataDirectoryLock;
    std::unique_ptr<PooledDatabase> _database;
    std::unique_ptr<DatabaseAudit> _audit;
    std::unique_ptr<SealedSecrets> _secrets;
    std::unique_ptr<InProcessEventBus> _events;
    /// On PostgreSQL: _events shared with the other instances on the database (LISTEN/NOTIFY).
    std::unique_ptr<ClusterEventBus> _clusterEvents;
    std::unique_ptr<WorkerScheduler> _scheduler;
    std::unique_ptr<CurlHttpClient> _httpClient;
    std::unique_ptr<MetricsRegistry> _metrics;
    std::unique_ptr<PermissionTable> _permissions;
    std::shared_ptr<LivePolicyEffects> _policyEffects;
    std::unique_ptr<PolicyEngine> _policy;
    std::unique_ptr<Router> _router;
    std::unique_ptr<ServiceTable> _services;
    std::unique_ptr<CliCommands> _cli;
    std::unique_ptr<KernelServices> _kernelServices;
    std::unique_ptr<ModuleLoader> _modules;
    std::unique_ptr<AccessLog> _accessLog;
    std::unique_ptr<HttpPipeline> _pipeline;
    std::unique_ptr<HttpServer> _httpServer;
    std::shared_ptr<Authenticator> _authenticator;
    std::string _authenticatorOwner;
    std::uint64_t _policyWatchTimer = 0;
    std::mutex _policyEditMutex;
    std::atomic<bool> _ready{false};
    bool _coreStarted = false;
};

} // namespace comfygate
