// The comfy-proxy module: ComfyUI's HTTP API through the gateway, isolated per user: prompts,
// queue, history and jobs by prompt owner; /view, uploads and file names in workflows by the
// user's folders and prompts; NSFW by the `view` policy hook (userdata and settings are the
// userdata module's); model grants (published as "comfy.model_grants") and the model isolation
// that enforces them; the WebSocket, where each user gets only their own events; ComfyUI's web
// UI files and the gateway's sign-out extension for it.
#include "ComfyUserMap.h"
#include "ComfyQueueService.h"
#include "CustomNodeRoutes.h"
#include "ClientId.h"
#include "FinishedPrompts.h"
#include "FrameRouter.h"
#include "JobRoutes.h"
#include "LogSubscriptionRoutes.h"
#include "ModelCatalog.h"
#include "ModelGrantCheck.h"
#include "ModelGrantStore.h"
#include "ModelListRoutes.h"
#include "ModuleMigrations.h"
#include "NsfwRoutes.h"
#include "NsfwTags.h"
#include "OriginCheck.h"
#include "OutputFiles.h"
#include "OutputTagService.h"
#include "PassThroughRoutes.h"
#include "PromptOwners.h"
#include "PromptRoutes.h"
#include "QueueControlRoutes.h"
#include "QueueRemainingRoutes.h"
#include "QueueSnapshot.h"
#include "RunningPrompt.h"
#include "SharedItemsRoutes.h"
#include "SignOutExtension.h"
#include "StaticFileRoutes.h"
#include "UploadRoutes.h"
#include "UpstreamClient.h"
#include "UpstreamHosts.h"
#include "UpstreamsCommand.h"
#include "HostMonitor.h"
#include "LostPrompts.h"
#include "ViewRoutes.h"
#include "WebSocketHub.h"
#include "WebSocketRoutes.h"
#include "UpstreamConnector.h"
#include "WorkflowFileCheck.h"
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"
#include "comfygate/PolicySubject.h"
#include "comfygate/services/UserDirectory.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <sstream>
#include <chrono>
#include <memory>
#include <stdexcept>

namespace comfygate::comfyproxy {

class ComfyProxyModule : public Module
{
public:
    void start(ModuleContext& context) override
    {
        declarePermissions(context.permissions());
        context.database().migrate(context.moduleName(), moduleMigrations());
        declareHooks(context.policy());
        const Config& config = context.globalConfig();
        UpstreamClient::Settings settings;
        settings.url = config.getString("comfy.url", "http://127.0.0.1:8188");
        settings.timeoutSeconds = static_cast<int>(config.getInt("comfy.timeout_seconds", 300));
        settings.maxUploadBytes = static_cast<std::size_t>(config.getInt("comfy.max_upload_mb", 100)) * 1024 * 1024;
        // Every worker may be relaying at once: a smaller pool would connect and close again
        // for each request beyond it.
        const auto idle = config.getInt("comfy.upstream_idle_connections", config.getInt("http.threads", 32));
        if (idle < 0 || idle > 4096)
            throw std::invalid_argument("configuration key comfy.upstream_idle_connections: " + std::to_string(idle) +
                                        " is not between 0 and 4096");
        settings.maxIdleConnections = static_cast<std::size_t>(idle);
        _hosts = std::make_unique<UpstreamHosts>(config, settings);
        // Routes that are not about one prompt go to the first host.
        _upstream = &_hosts->primary().client();
        _passThrough = std::make_unique<PassThroughRoutes>(*_upstream);
        _passThrough->registerAll(context.routes());
        _staticFiles = std::make_unique<StaticFileRoutes>(*_upstream);
        _staticFiles->registerAll(context.routes());
        _signOut = std::make_unique<SignOutExtension>(*_upstream);
        _signOut->registerAll(context.routes());

        startModelSharing(context);
        startCustomNodeRoutes(context, settings.maxUploadBytes);
        startPromptsAndFiles(context, settings.maxUploadBytes);
        startWebSockets(context, settings, context.globalConfig().getBool("comfy.separate_users", true));
    }

    void stop() noexcept override
    {
        if (_events && _subscription)
            _events->unsubscribe(_subscription);
        for (auto& monitor : _monitors)
            monitor->stop();
        if (_hub)
            _hub->stop();
        _monitors.clear();
        _webSockets.reset();
        _logSubscriptions.reset();
        _queueRemaining.reset();
        _hub.reset();
        _router.reset();
        _finished.reset();
        _queueSnapshot.reset();
        _running.reset();
        _queueClients.clear();
        _uploads.reset();
        _nsfw.reset();
        _view.reset();
        _jobs.reset();
        _control.reset();
        _queueService.reset();
        _prompts.reset();
        _fileCheck.reset();
        _outputTags.reset();
        _tags.reset();
        _files.reset();
        _owners.reset();
        _customNodes.reset();
        _comfyUsers.reset();
        _sharedItems.reset();
        _modelLists.reset();
        _listMerge.reset();
        _grantCheck.reset();
        _catalog.reset();
        _grants.reset();
        _signOut.reset();
        _staticFiles.reset();
        _passThrough.reset();
        _upstreamsCommand.reset();
        _upstream = nullptr;
        _hosts.reset();
    }

private:
    static void declarePermissions(PermissionRegistry& permissions)
    {
        permissions.declare({"can_run", "queue prompts (POST /prompt)", "comfyui", {"admin", "power", "user"}});
        permissions.declare({"can_upload", "upload images and masks", "comfyui", {"admin", "power", "user"}});
        permissions.declare({"can_access_api", "ComfyUI's read routes (object_info, models, ...)", "comfyui",
                             {"admin", "power", "user", "guest"}});
        permissions.declare({"can_view_all_comfyui_items", "see every user's queue, history and outputs",
                             "comfyui", {"admin"}});
        permissions.declare({"can_manage_comfyui", "/free, /internal/* and ComfyUI's command line", "comfyui",
                             {"admin"}});
        permissions.declare({"can_manage_nsfw", "tag files NSFW or safe (mark-nsfw)", "comfyui", {"admin"}});
        // MSS-Login: the owner always; an admin only with the flag set explicitly.
        permissions.declare({"can_manage_model_sharing", "share models with users and groups (model isolation)",
                             "comfyui", {}});
        permissions.declare({"can_modify_workflows", "save, move and delete your workflows (userdata)", "comfyui",
                             {"admin", "power", "user"}});
        permissions.declare(
            {"can_view_console", "ComfyUI's log lines on your WebSocket (logs subscribe)", "comfyui", {"admin"}});
        // For the custom-node routes an operator opens with comfy.passthrough.
        permissions.declare({"can_access_manager",
                             "ComfyUI-Manager's routes (when opened by comfy.passthrough)",
                             "comfyui",
                             {"admin", "power"}});
        permissions.declare({"can_manage_extensions",
                             "custom-node routes opened by comfy.passthrough",
                             "comfyui",
                             {"admin", "power", "user"}});
    }

    /// The hooks this module calls, with the kernel's fail modes and the shapes it passes.
    static void declareHooks(Policy& policy)
    {
        const std::string subject =
            R"({"user_id":"7","username":"alice","role":"user","groups":["free"],"mfa":false,"sfw_check":true,)"
            R"("token_kind":"session","account_created_at":1764547200,"account_age_days":6,)"
            R"("address":"203.0.113.7","via_trusted_proxy":false})";
        policy.declareHook({"prompt", "allow, deny or rewrite a submitted workflow", FailMode::Closed, subject,
                            R"({"workflow":{"4":{"class_type":"CheckpointLoaderSimple","inputs":)"
                            R"({"ckpt_name":"sd15.safetensors"}}},"client_id":"tab-1"})"});
        policy.declareHook({"view", "may this user see this output (NSFW)", FailMode::Closed, subject,
                            R"({"filename":"ComfyUI_00001_.png","subfolder":"7","type":"output","nsfw":true,)"
                            R"("prompt_text":"a castle at dawn"})"});
        policy.declareHook({"upload", "allow or deny an upload (type, size)", FailMode::Closed, subject,
                            R"({"kind":"image","filename":"photo.png","subfolder":"7/pasted","type":"input",)"
                            R"("content_type":"image/png","size_bytes":482113,"overwrite":false})"});
        policy.declareHook({"model", "may this user use this model in a prompt", FailMode::Closed, subject,
                            R"({"name":"wan2.1_t2v_14B.safetensors","folder":"diffusion_models","node_id":"37",)"
                            R"("class_type":"UNETLoader","input":"unet_name"})"});
        policy.declareHook({"queue", "set the ComfyUI priority of an accepted prompt (front or number)",
                            FailMode::Open, subject,
                            R"({"workflow_nodes":7,"client_id":"tab-1","front":false})"});
        // An event's subject is the prompt's owner, with no request (so no address) behind it.
        const std::string owner =
            R"({"user_id":"7","username":"alice","role":"user","groups":["free"],"mfa":false,"sfw_check":true,)"
            R"("token_kind":""})";
        policy.declareHook({"event", "after the fact, asynchronous: execution_success, download_finished, login_failed",
                            FailMode::Open, owner,
                            R"({"type":"execution_success","prompt_id":"6f1c0c8e-2b1a-4c55-9d1e-0b7d8c1f2a33",)"
                            R"("outputs":[{"filename":"ComfyUI_00001_.png","subfolder":"7","type":"output",)"
                            R"("node_id":"9"}]})"});
    }

    void startModelSharing(ModuleContext& context)
    {
        const Config& config = context.globalConfig();
        _grants = std::make_shared<ModelGrantStore>(context.database());
        context.services().publish<services::ModelGrants>(services::ModelGrants::serviceName, _grants);
        const long long modelListTtl = config.getInt("comfy.model_list_ttl_seconds", 30);
        if (modelListTtl < 1 || modelListTtl > 3600)
            throw std::invalid_argument("configuration key comfy.model_list_ttl_seconds: " +
                                        std::to_string(modelListTtl) + " must be between 1 and 3600 seconds");
        _catalog = std::make_unique<ModelCatalog>(*_upstream, std::chrono::seconds(modelListTtl));
        const bool isolation =
            config.getBool("experimental.enabled", false) || config.getBool("experimental.model_isolation", false);
        _grantCheck = std::make_unique<ModelGrantCheck>(*_catalog, *_grants, isolation);
        if (_hosts->several())
            _listMerge = std::make_unique<HostListMerge>(*_hosts);
        _modelLists = std::make_unique<ModelListRoutes>(*_upstream, *_grantCheck, _listMerge.get());
        _modelLists->registerAll(context.routes());
        _sharedItems = std::make_unique<SharedItemsRoutes>(*_grants, *_catalog, context.services(), context.audit());
        _sharedItems->registerAll(context.routes());
    }

    void startCustomNodeRoutes(ModuleContext& context, std::size_t maxUploadBytes)
    {
        const bool multiUser = context.globalConfig().getBool("comfy.multi_user", false);
        _comfyUsers = std::make_unique<ComfyUserMap>(*_upstream, context.database());
        const std::string passthroughKey = "comfy.passthrough";
        _customNodes = std::make_unique<CustomNodeRoutes>(
            *_upstream, *_comfyUsers, multiUser, maxUploadBytes,
            CustomNodeRoutes::parse(context.globalConfig().getString(passthroughKey, ""), passthroughKey),
            context.permissions(), passthroughKey);
        _customNodes->registerAll(context.routes());
    }

    void startPromptsAndFiles(ModuleContext& context, std::size_t maxUploadBytes)
    {
        const bool separate = context.globalConfig().getBool("comfy.separate_users", true);
        _owners = std::make_unique<PromptOwners>(context.database());
        _files = std::make_unique<OutputFiles>(context.database(), *_hosts, separate);
        _upstreamsCommand = std::make_unique<UpstreamsCommand>(*_hosts, *_owners);
        context.cli().add(_upstreamsCommand->command());
        _tags = std::make_unique<NsfwTags>(context.database());
        _outputTags = std::make_shared<OutputTagService>(*_tags);
        context.services().publish<services::OutputTags>(services::OutputTags::serviceName, _outputTags);
        _fileCheck = std::make_unique<WorkflowFileCheck>(*_upstream, *_files, separate);
        _prompts = std::make_unique<PromptRoutes>(*_hosts, *_owners, context.policy(), *_fileCheck, *_grantCheck,
                                                  *_catalog, context.logger(), _gatewaySid, separate);
        _prompts->registerAll(context.routes());
        _control = std::make_unique<QueueControlRoutes>(*_hosts, *_owners, separate);
        _control->registerAll(context.routes());
        _queueService = std::make_shared<ComfyQueueService>(*_hosts, *_owners);
        context.services().publish<services::ComfyQueue>(services::ComfyQueue::serviceName, _queueService);
        _jobs = std::make_unique<JobRoutes>(*_hosts, *_owners, separate);
        _jobs->registerAll(context.routes());
        _view = std::make_unique<ViewRoutes>(*_hosts, *_files, *_tags, context.policy(), context.services());
        _view->registerAll(context.routes());
        _nsfw = std::make_unique<NsfwRoutes>(*_upstream, *_tags, context.audit());
        _nsfw->registerAll(context.routes());
        _uploads = std::make_unique<UploadRoutes>(*_hosts, *_files, context.policy(), context.dataDir() + "/comfy-uploads",
                                                  maxUploadBytes, separate);
        _uploads->registerAll(context.routes());
    }

    /// A prompt owner's policy subject: the user directory's current view of them (auth
    /// module), or only their id when no directory runs.
    static Poco::JSON::Object::Ptr ownerSubject(ServiceRegistry& services, const std::string& userId)
    {
        Principal owner;
        owner.userId = userId;
        owner.username = userId;
        if (auto directory = services.find<services::UserDirectory>(services::UserDirectory::serviceName)) {
            if (auto info = directory->findById(userId)) {
                owner.authenticated = true;
                owner.username = info->username;
                owner.role = info->role;
                owner.groups = info->groups;
                owner.sfwCheck = info->sfwCheck;
                owner.mfaEnabled = info->mfaEnabled;
            }
        }
        return policySubject(owner);
    }

    static long long positive(const Config& config, const std::string& key, long long fallback)
    {
        const long long value = config.getInt(key, fallback);
        if (value <= 0)
            throw std::invalid_argument("configuration key " + config.fullKey(key) + " must be greater than 0");
        return value;
    }

    void startWebSockets(ModuleContext& context, UpstreamClient::Settings settings, bool separate)
    {
        const Config& config = context.globalConfig();
        WebSocketHub::Settings hub;
        hub.queueFrames = static_cast<std::size_t>(positive(config, "comfy.ws_queue_frames", 256));
        hub.maxClientMessageBytes =
            static_cast<int>(std::min<long long>(positive(config, "comfy.ws_max_message_kib", 64), 1024 * 1024) * 1024);
        // The status frames wait for this answer: a short timeout of their own.
        settings.timeoutSeconds = 5;
        for (UpstreamHost* host : _hosts->all()) {
            settings.url = host->url();
            settings.urlKey = _hosts->several() ? "comfy.upstreams" : "comfy.url";
            _queueClients.push_back(std::make_unique<UpstreamClient>(settings));
        }
        _running = std::make_unique<RunningPrompt>();
        _queueSnapshot = std::make_unique<QueueSnapshot>([this] { return queueOfEveryHost(); }, *_owners, *_running,
                                                         std::chrono::milliseconds(1000));
        _queueRemaining = std::make_unique<QueueRemainingRoutes>(*_queueSnapshot, separate);
        _queueRemaining->registerAll(context.routes());
        _finished = std::make_unique<FinishedPrompts>(
            *_owners, context.policy(), [&services = context.services()](const std::string& userId) {
                return ownerSubject(services, userId);
            });
        _router = std::make_unique<FrameRouter>(*_owners, *_running, *_queueSnapshot, separate, _finished.get());
        // With several hosts each has a HostMonitor holding its socket instead of the hub.
        hub.ownUpstream = !_hosts->several();
        _hub = std::make_unique<WebSocketHub>(hub, _gatewaySid, UpstreamConnector(_hosts->primary().url()), *_router,
                                              context.metrics(), context.logger());
        _logSubscriptions = std::make_unique<LogSubscriptionRoutes>(*_upstream, *_hub);
        _logSubscriptions->registerAll(context.routes());
        _hub->start([logs = _logSubscriptions.get()] { logs->renew(); });
        // Finished prompts reach the `event` hook even when no client has a socket open.
        _hub->openUpstreamInBackground();
        if (_hosts->several())
            startHostMonitors(context);
        _events = &context.events();
        _subscription = _events->subscribe([hub = _hub.get()](const Event& event) { hub->publish(event); });
        _webSockets =
            std::make_unique<WebSocketRoutes>(OriginCheck(config.getList("comfy.ws_allowed_origins", {})), *_hub);
        _webSockets->registerAll(context.routes());
    }

    /// GET /queue of every reachable host as one queue (the first host's alone with one host).
    std::string queueOfEveryHost()
    {
        Poco::JSON::Array::Ptr running = new Poco::JSON::Array;
        Poco::JSON::Array::Ptr pending = new Poco::JSON::Array;
        const auto hosts = _hosts->all();
        bool answered = false;
        std::string problem;
        for (std::size_t i = 0; i < hosts.size(); ++i) {
            if (_hosts->several() && !hosts[i]->usable())
                continue;
            UpstreamClient::Answer answer;
            try {
                answer = _queueClients[i]->fetch("GET", "/queue");
            } catch (const std::exception& e) {
                problem = e.what();
                continue;
            }
            if (answer.status != 200) {
                problem = "ComfyUI answered /queue with " + std::to_string(answer.status);
                continue;
            }
            if (!_hosts->several())
                return answer.body;
            const auto queue = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
            for (auto [name, merged] : {std::pair{"queue_running", running}, std::pair{"queue_pending", pending}})
                if (const auto items = queue->getArray(name))
                    for (std::size_t j = 0; j < items->size(); ++j)
                        merged->add(items->get(static_cast<unsigned>(j)));
            answered = true;
        }
        if (!answered)
            throw std::runtime_error(problem.empty() ? "no ComfyUI host is up" : problem);
        Poco::JSON::Object queue(Poco::JSON_PRESERVE_KEY_ORDER);
        queue.set("queue_running", running);
        queue.set("queue_pending", pending);
        std::ostringstream text;
        queue.stringify(text);
        return text.str();
    }

    /// One HostMonitor per host (only while serving: a CLI command needs none), and the
    /// per-host gauges of /metrics.
    void startHostMonitors(ModuleContext& context)
    {
        for (UpstreamHost* host : _hosts->all()) {
            const std::string prefix = "upstream_" + std::to_string(host->number());
            context.metrics().gauge(prefix + "_up", "1 while the ComfyUI host " + host->url() + " is up, else 0",
                                    [host] { return host->health().state == UpstreamHost::State::Up ? 1.0 : 0.0; });
            context.metrics().gauge(prefix + "_queue", "the queue length the ComfyUI host " + host->url() +
                                                           " announced last (running + pending)",
                                    [host] { return static_cast<double>(host->health().queueRemaining); });
            context.metrics().gauge(prefix + "_in_flight",
                                    "prompts this gateway sent to " + host->url() + " that have not finished",
                                    [host] { return static_cast<double>(host->health().inFlight); });
        }
        context.metrics().gauge("upstreams_up", "ComfyUI hosts up (comfy.upstreams)", [hosts = _hosts.get()] {
            double up = 0;
            for (UpstreamHost* host : hosts->all())
                up += host->health().state == UpstreamHost::State::Up ? 1 : 0;
            return up;
        });
        if (!context.serving())
            return;
        HostMonitor::Events events;
        events.frame = [hub = _hub.get()](const std::string& payload, bool binary) {
            hub->deliverHostFrame(payload, binary);
        };
        events.lost = [this](UpstreamHost& host, const std::vector<std::string>& lost) {
            const std::string message = LostPrompts::failureMessage(host.url(), host.health().lastError);
            for (const auto& promptId : lost) {
                _owners->markFailed(promptId, message);
                _hub->deliverHostFrame(LostPrompts::errorEvent(promptId, message), false);
            }
        };
        for (UpstreamHost* host : _hosts->all()) {
            _monitors.push_back(std::make_unique<HostMonitor>(*host, _gatewaySid, events, HostMonitor::Settings{},
                                                              context.logger()));
            _monitors.back()->start();
        }
    }

    std::unique_ptr<UpstreamHosts> _hosts;
    UpstreamClient* _upstream = nullptr; ///< the first host's
    std::unique_ptr<UpstreamsCommand> _upstreamsCommand;
    std::vector<std::unique_ptr<HostMonitor>> _monitors;
    std::unique_ptr<PassThroughRoutes> _passThrough;
    std::unique_ptr<StaticFileRoutes> _staticFiles;
    std::unique_ptr<SignOutExtension> _signOut;
    std::shared_ptr<ModelGrantStore> _grants;
    std::unique_ptr<ModelCatalog> _catalog;
    std::unique_ptr<ModelGrantCheck> _grantCheck;
    std::unique_ptr<HostListMerge> _listMerge;
    std::unique_ptr<ModelListRoutes> _modelLists;
    std::unique_ptr<SharedItemsRoutes> _sharedItems;
    std::unique_ptr<ComfyUserMap> _comfyUsers;
    std::unique_ptr<CustomNodeRoutes> _customNodes;
    /// The sid of the gateway's one upstream WebSocket: POST /prompt's client_id upstream.
    const std::string _gatewaySid = newGatewaySid();
    std::unique_ptr<PromptOwners> _owners;
    std::unique_ptr<OutputFiles> _files;
    std::unique_ptr<NsfwTags> _tags;
    std::shared_ptr<OutputTagService> _outputTags;
    std::unique_ptr<WorkflowFileCheck> _fileCheck;
    std::unique_ptr<PromptRoutes> _prompts;
    std::unique_ptr<QueueControlRoutes> _control;
    std::shared_ptr<ComfyQueueService> _queueService;
    std::unique_ptr<JobRoutes> _jobs;
    std::unique_ptr<ViewRoutes> _view;
    std::unique_ptr<NsfwRoutes> _nsfw;
    std::unique_ptr<UploadRoutes> _uploads;
    std::vector<std::unique_ptr<UpstreamClient>> _queueClients; ///< one per host, short timeout
    std::unique_ptr<RunningPrompt> _running;
    std::unique_ptr<QueueSnapshot> _queueSnapshot;
    std::unique_ptr<QueueRemainingRoutes> _queueRemaining;
    std::unique_ptr<LogSubscriptionRoutes> _logSubscriptions;
    std::unique_ptr<FinishedPrompts> _finished;
    std::unique_ptr<FrameRouter> _router;
    std::unique_ptr<WebSocketHub> _hub;
    std::unique_ptr<WebSocketRoutes> _webSockets;
    EventBus* _events = nullptr;
    EventBus::SubscriptionId _subscription = 0;
};

} // namespace comfygate::comfyproxy

COMFYGATE_MODULE(comfygate::comfyproxy::ComfyProxyModule, "comfy-proxy", "0.1.0")
