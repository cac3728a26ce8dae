#include "Kernel.h"

#include "CliCommands.h"
#include "ClusterEventBus.h"
#include "Configuration.h"
#include "CurlHttpClient.h"
#include "DataDirectoryLock.h"
#include "DatabaseAudit.h"
#include "EmbeddedFiles.h"
#include "HttpPipeline.h"
#include "HttpServer.h"
#include "InProcessEventBus.h"
#include "JournalFormatter.h"
#include "KernelRoutes.h"
#include "KernelSchema.h"
#include "KernelServices.h"
#include "LivePolicyEffects.h"
#include "MetricsRegistry.h"
#include "ModuleLoader.h"
#include "PermissionTable.h"
#include "PolicyEngine.h"
#include "PolicyFiles.h"
#include "PooledDatabase.h"
#include "PostgresConnection.h"
#include "Router.h"
#include "SealedSecrets.h"
#include "ServiceTable.h"
#include "ShippedHooks.h"
#include "WorkerScheduler.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/StreamCopier.h>

#include <sys/stat.h>

namespace comfygate {
namespace {

std::string readFile(const std::string& path)
{
    Poco::FileInputStream in(path);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    return text;
}

} // namespace

Kernel::Kernel(std::unique_ptr<Configuration> config) : _config(std::move(config)) {}

Kernel::~Kernel() { stop(); }

void Kernel::configureLogging()
{
    // Under systemd the journal stamps each line itself and wants the level as a <N> prefix.
    Poco::AutoPtr<Poco::Formatter> formatter;
    if (JournalFormatter::stderrIsJournal())
        formatter = new JournalFormatter;
    else
        formatter = new Poco::PatternFormatter("%Y-%m-%d %H:%M:%S.%i %q %s: %t");
    Poco::AutoPtr<Poco::ConsoleChannel> console(new Poco::ConsoleChannel);
    Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(formatter, console));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::setLevel("", Poco::Logger::parseLevel(_settings.logLevel));
}

void Kernel::startCore(bool serving)
{
    _settings = KernelSettings::read(*_config);
    configureLogging();
    for (const auto& unknown : _config->unknownKeys())
        Poco::Logger::get("config").warning("unknown configuration key %s (typo?)", unknown);

    Poco::File(_settings.dataDir).createDirectories();
    ::chmod(_settings.dataDir.c_str(), 0700);
    if (serving)
        _dataDirectoryLock = std::make_unique<DataDirectoryLock>(_settings.dataDir);

    DatabaseSettings db;
    db.backend = _config->getString("db.backend", "sqlite") == "postgresql" ? Database::Backend::PostgreSQL
                                                                            : Database::Backend::SQLite;
    const std::string sqlitePath = _config->getString("db.sqlite.path", "comfygate.db");
    db.sqlitePath = !sqlitePath.empty() && sqlitePath[0] == '/' ? sqlitePath : _settings.dataDir + "/" + sqlitePath;
    db.postgresConnection = postgresConnectionString(*_config);
    db.minSessions = static_cast<int>(_config->getInt("db.pool.min", 1));
    db.maxSessions = static_cast<int>(_config->getInt("db.pool.max", 16));
    db.busyTimeoutMs = static_cast<int>(_config->getInt("db.sqlite.busy_timeout_ms", 5000));
    _database = std::make_unique<PooledDatabase>(db);
    _database->open();
    _database->migrate("kernel", kernelSchema());
    _audit = std::make_unique<DatabaseAudit>(*_database);

    _secrets = std::make_unique<SealedSecrets>(_config->getString("secret.key", ""), _settings.dataDir + "/secret.key");
    _events = std::make_unique<InProcessEventBus>();
    if (db.backend == Database::Backend::PostgreSQL) {
        _clusterEvents = std::make_unique<ClusterEventBus>(*_events, db.postgresConnection,
                                                           [database = _database.get()] { database->renewPool(); });
        if (serving)
            _clusterEvents->start();
    }
    _scheduler = std::make_unique<WorkerScheduler>(static_cast<std::size_t>(_settings.schedulerWorkers),
                                                   static_cast<std::size_t>(_settings.schedulerQueue));
    _scheduler->start();
    _httpClient = std::make_unique<CurlHttpClient>();
    _metrics = std::make_unique<MetricsRegistry>();
    _metrics->gauge("events_published", "events published on the event bus since start",
                    [events = _events.get()] { return static_cast<double>(events->publishedCount()); });
    if (_clusterEvents) {
        const auto& notifications = _clusterEvents->notifications();
        _metrics->gauge("events_cluster_sent", "events sent to the other instances (LISTEN/NOTIFY) since start",
                        [&notifications] { return static_cast<double>(notifications.sentCount()); });
        _metrics->gauge("events_cluster_received", "events received from the other instances since start",
                        [&notifications] { return static_cast<double>(notifications.receivedCount()); });
        _metrics->gauge("events_cluster_dropped",
                        "events not sent to the other instances (over 8000 bytes, or the queue was full)",
                        [&notifications] { return static_cast<double>(notifications.droppedCount()); });
        _metrics->gauge("database_listening", "1 while the notification connection to PostgreSQL is open",
                        [&notifications] { return notifications.connected() ? 1.0 : 0.0; });
    }
    _metrics->gauge("scheduler_queued", "background tasks waiting for a worker",
                    [scheduler = _scheduler.get()] { return static_cast<double>(scheduler->queuedCount()); });
    _router = std::make_unique<Router>();
    _services = std::make_unique<ServiceTable>();
    _cli = std::make_unique<CliCommands>();

    _permissions = std::make_unique<PermissionTable>(_settings.effectiveCacheEntries);
    const auto& effectiveCache = _permissions->effectiveCache();
    _metrics->gauge("permissions_effective_cache_entries", "memoised effective permission sets",
                    [&effectiveCache] { return static_cast<double>(effectiveCache.size()); });
    _metrics->gauge("permissions_effective_cache_capacity",
                    "the most memoised effective permission sets (permissions.effective_cache_entries)",
                    [&effectiveCache] { return static_cast<double>(effectiveCache.capacity()); });
    _metrics->gauge("permissions_effective_cache_hits", "effective permission sets answered from the memo since start",
                    [&effectiveCache] { return static_cast<double>(effectiveCache.hits()); });
    _metrics->gauge("permissions_effective_cache_misses", "effective permission sets computed since start",
                    [&effectiveCache] { return static_cast<double>(effectiveCache.misses()); });
    if (_settings.groupsFile.empty())
        _permissions->loadGroups(embeddedGroupsJson(), "built-in etc/groups.json");
    else
        _permissions->loadGroups(readFile(_settings.groupsFile), _settings.groupsFile);
    declareKernelPermissions();

    PolicyLimits limits;
    limits.instructionsPerCall = static_cast<std::uint64_t>(_config->getInt("policy.max_instructions", 5000000));
    limits.deadlinePerCall = std::chrono::milliseconds(_config->getInt("policy.max_millis", 100));
    limits.memoryPerState = static_cast<std::size_t>(_config->getInt("policy.max_memory_bytes", 33554432));
    limits.eventDeadline = std::chrono::milliseconds(_config->getInt("policy.event_deadline_ms", 10000));
    _policyEffects = std::make_shared<LivePolicyEffects>(*_database, *_httpClient, *_services,
                                                         PolicyEffectsSettings::read(*_config));
    if (serving)
        _policyEffects->start(*_scheduler);
    auto& outbox = _policyEffects->outbox();
    _metrics->gauge("policy_notifications_queued", "policy notifications waiting in the outbox (all instances)",
                    [&outbox] { return static_cast<double>(outbox.pendingCount()); });
    _metrics->gauge("policy_notifications_sent", "policy notifications this instance delivered since start",
                    [&outbox] { return static_cast<double>(outbox.sentCount()); });
    _metrics->gauge("policy_notifications_failed",
                    "policy notifications this instance gave up on after policy.notify.max_attempts, since start",
                    [&outbox] { return static_cast<double>(outbox.failedCount()); });
    _policy = std::make_unique<PolicyEngine>(_settings.policyDir, limits, _config->withPrefix("policy.settings."),
                                             _policyEffects);
    declareShippedHooks(*_policy);
    _policy->setEventRunner([scheduler = _scheduler.get()](std::function<void()> task) {
        return scheduler->submit(std::move(task));
    });
    _metrics->gauge("policy_events_dropped", "events the event hook never saw because the background queue was full",
                    [policy = _policy.get()] { return static_cast<double>(policy->eventsDropped()); });
    _permissions->setPolicy(_policy.get());

    _kernelServices = std::make_unique<KernelServices>(KernelServices{
        *_router, *_permissions, *_policy, *_database, events(), *_httpClient, *_secrets, *_scheduler, *_audit,
        *_metrics, *_cli, *_services, *_config, _settings.dataDir,
        [this](std::shared_ptr<Authenticator> authenticator, const std::string& owner) {
            installAuthenticator(std::move(authenticator), owner);
        }});
    _modules = std::make_unique<ModuleLoader>(*_kernelServices);
    _coreStarted = true;
}

EventBus& Kernel::events()
{
    if (_clusterEvents)
        return *_clusterEvents;
    return *_events;
}

bool Kernel::ready() const
{
    return _ready && databaseReachable();
}

bool Kernel::databaseReachable() const
{
    // On PostgreSQL the notification connection doubles as the database's heartbeat: it sees a
    // lost server at once and is opened again as soon as the server answers.
    return !_clusterEvents || _clusterEvents->notifications().connected();
}

void Kernel::declareKernelPermissions()
{
    _permissions->declare({"can_view_metrics", "read GET /metrics from a non-loopback address", "kernel",
                           {"admin"}});
    _permissions->declare({"can_reload_policies", "reload the Lua policies", "kernel", {"admin"}});
    // Policies are code that runs on every request: editing them is the owner's unless an
    // operator grants it in etc/groups.json or the console's matrix.
    _permissions->declare({"can_edit_policies", "change the Lua policy files from the console", "kernel", {}});
    _permissions->declare(
        {"can_view_audit", "read the audit log (GET /mss-login/api/admin/audit)", "kernel", {"admin"}});
}

void Kernel::installAuthenticator(std::shared_ptr<Authenticator> authenticator, const std::string& owner)
{
    if (_authenticator)
        throw std::logic_error("module '" + owner + "' installs an authenticator, but module '" + _authenticatorOwner +
                               "' already did");
    _authenticator = std::move(authenticator);
    _authenticatorOwner = owner;
}

void Kernel::startModules(bool serving)
{
    _kernelServices->serving = serving;
    _modules->discover(_settings.modulesDirs, _settings.modulesEnabled, _settings.modulesDisabled);
    _modules->startAll();
    const auto unknown = _permissions->unknownIds();
    if (!unknown.empty()) {
        std::string list;
        for (const auto& id : unknown)
            list += (list.empty() ? "" : ", ") + id;
        Poco::Logger::get("permissions")
            .notice("the groups file sets permissions no loaded module declares (ignored): %s", list);
    }
}

void Kernel::startPolicy()
{
    _policy->load();
    if (_settings.policyWatchSeconds > 0) {
        _policyWatchTimer = _scheduler->every(std::chrono::seconds(_settings.policyWatchSeconds), [this] {
            const auto report = _policy->reloadIfChanged();
            if (report.swapped)
                _audit->record({"system", "policy.reload", _settings.policyDir, "", "{\"trigger\":\"file change\"}"});
        });
    }
}

std::vector<std::string> Kernel::reloadPolicies(const std::string& actor, const std::string& client)
{
    const auto report = _policy->reload();
    _audit->record({actor, report.ok() ? "policy.reload" : "policy.reload_failed", _settings.policyDir, client,
                    "{\"generation\":" + std::to_string(report.generation) + "}"});
    return report.errors;
}

Kernel::PolicyEdit Kernel::replacePolicyFile(const std::string& name, const std::string& text, const std::string& actor,
                                             const std::string& client)
{
    std::lock_guard lock(_policyEditMutex);
    const PolicyFiles files(_settings.policyDir);
    const auto previous = files.replace(name, text);
    if (!previous)
        return {};
    const auto report = _policy->reload();
    if (!report.ok())
        files.replace(name, *previous);
    _audit->record({actor, report.ok() ? "policy.edit" : "policy.edit_failed", name, client,
                    "{\"generation\":" + std::to_string(report.generation) + "}"});
    return {true, report.errors};
}

void Kernel::startHttp()
{
    KernelRoutes(*this).registerAll();
    _router->freeze();
    _accessLog = std::make_unique<AccessLog>(_settings.accessLog);
    _pipeline = std::make_unique<HttpPipeline>(_settings.pipeline, *_router, *_permissions, *_metrics, *_accessLog);
    _pipeline->setAuthenticator(_authenticator);
    _httpServer = std::make_unique<HttpServer>(_settings.http, *_pipeline);
    _httpServer->exportMetrics(*_metrics);
    _httpServer->start();
    _ready = true;
}

void Kernel::stop() noexcept
{
    _ready = false;
    try {
        if (_httpServer) {
            _httpServer->stop(_settings.drainSeconds);
            _httpServer.reset();
        }
        if (_policyEffects)
            _policyEffects->stop();
        if (_scheduler)
            _scheduler->stop();
        // No other instance's event is delivered to a stopping module.
        if (_clusterEvents)
            _clusterEvents->stop();
        if (_modules)
            _modules->stopAll();
        // Everything below may hold code or objects of the modules; it must be gone before
        // the module libraries are closed.
        _pipeline.reset();
        _authenticator.reset();
        _router.reset();
        _services.reset();
        _cli.reset();
        _metrics.reset();
        if (_modules)
            _modules->closeLibraries();
        _modules.reset();
        _kernelServices.reset();
        _policy.reset();
        _policyEffects.reset();
        _permissions.reset();
        _httpClient.reset();
        _scheduler.reset();
        _clusterEvents.reset();
        _events.reset();
        _secrets.reset();
        _audit.reset();
        if (_database)
            _database->close();
        _database.reset();
        _dataDirectoryLock.reset();
    } catch (const std::exception& e) {
        Poco::Logger::get("kernel").error("error while stopping: %s", std::string(e.what()));
    }
}

} // namespace comfygate
