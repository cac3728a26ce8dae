// The comfy-proxy module: ComfyUI's HTTP API and WebSocket through the gateway, each user
// seeing only their own prompts, queue, history and events.
#include "FrameFilter.h"
#include "JobRoutes.h"
#include "ModuleMigrations.h"
#include "OriginCheck.h"
#include "PassThroughRoutes.h"
#include "PromptOwners.h"
#include "PromptRoutes.h"
#include "QueueControlRoutes.h"
#include "QueueSnapshot.h"
#include "RunningPrompt.h"
#include "UpstreamClient.h"
#include "WebSocketHub.h"
#include "WebSocketRoutes.h"
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>

namespace comfygate::comfyproxy {

class ComfyProxyModule : public Module
{
public:
    void start(ModuleContext& context) override
    {
        auto& permissions = context.permissions();
        permissions.declare({"can_run", "queue prompts (POST /prompt)", "comfyui", {"admin", "power", "user"}});
        permissions.declare({"can_upload", "upload images and masks", "comfyui", {"admin", "power", "user"}});
        permissions.declare({"can_access_api", "ComfyUI's read routes (object_info, models, ...)", "comfyui",
                             {"admin", "power", "user", "guest"}});
        permissions.declare({"can_view_all_comfyui_items", "see every user's queue, history and outputs",
                             "comfyui", {"admin"}});
        permissions.declare({"can_manage_comfyui", "/free, /internal/* and ComfyUI's command line", "comfyui",
                             {"admin"}});

        context.database().migrate(context.moduleName(), moduleMigrations());
        context.policy().declareHook({"prompt", "allow, deny or rewrite a submitted workflow", FailMode::Closed});
        const Config& config = context.globalConfig();
        UpstreamClient::Settings settings;
        settings.url = config.getString("comfy.url", "http://127.0.0.1:8188");
        settings.timeoutSeconds = static_cast<int>(config.getInt("comfy.timeout_seconds", 300));
        settings.maxUploadBytes = static_cast<std::size_t>(config.getInt("comfy.max_upload_mb", 100)) * 1024 * 1024;
        _upstream = std::make_unique<UpstreamClient>(settings);
        _passThrough = std::make_unique<PassThroughRoutes>(*_upstream, config.getBool("comfy.multi_user", false));
        _passThrough->registerAll(context.routes());
        _owners = std::make_unique<PromptOwners>(context.database());
        _prompts = std::make_unique<PromptRoutes>(*_upstream, *_owners, context.policy(),
                                                  config.getBool("comfy.separate_users", true));
        _prompts->registerAll(context.routes());
        const bool separate = config.getBool("comfy.separate_users", true);
        _control = std::make_unique<QueueControlRoutes>(*_upstream, *_owners, separate);
        _control->registerAll(context.routes());
        _jobs = std::make_unique<JobRoutes>(*_upstream, *_owners, separate);
        _jobs->registerAll(context.routes());
        startWebSockets(context, settings, separate);
    }

    void stop() noexcept override
    {
        if (_events && _subscription)
            _events->unsubscribe(_subscription);
        if (_hub)
            _hub->stop();
        _webSockets.reset();
        _hub.reset();
        _filter.reset();
        _queueSnapshot.reset();
        _running.reset();
        _queueClient.reset();
        _jobs.reset();
        _control.reset();
        _prompts.reset();
        _owners.reset();
        _passThrough.reset();
        _upstream.reset();
    }

private:
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
        hub.maxClientMessageBytes = static_cast<int>(std::min<long long>(positive(config, "comfy.ws_max_message_kib", 64), 1024 * 1024) * 1024);
        // The status frames wait for this answer: a short timeout of their own.
        settings.timeoutSeconds = 5;
        _queueClient = std::make_unique<UpstreamClient>(settings);
        _running = std::make_unique<RunningPrompt>();
        _queueSnapshot = std::make_unique<QueueSnapshot>(
            [client = _queueClient.get()] {
                const auto answer = client->fetch("GET", "/queue");
                if (answer.status != 200)
                    throw std::runtime_error("ComfyUI answered /queue with " + std::to_string(answer.status));
                return answer.body;
            },
            *_owners, *_running, std::chrono::milliseconds(1000));
        _filter = std::make_unique<FrameFilter>(*_owners, *_running, *_queueSnapshot, separate);
        _hub = std::make_unique<WebSocketHub>(hub, *_filter, context.metrics(), context.logger());
        _hub->start();
        _events = &context.events();
        _subscription = _events->subscribe([hub = _hub.get()](const Event& event) { hub->publish(event); });
        _webSockets = std::make_unique<WebSocketRoutes>(settings.url, OriginCheck(config.getList("comfy.ws_allowed_origins", {})),
                                                        *_hub, separate);
        _webSockets->registerAll(context.routes());
    }

    std::unique_ptr<UpstreamClient> _upstream;
    std::unique_ptr<PassThroughRoutes> _passThrough;
    std::unique_ptr<PromptOwners> _owners;
    std::unique_ptr<PromptRoutes> _prompts;
    std::unique_ptr<QueueControlRoutes> _control;
    std::unique_ptr<JobRoutes> _jobs;
    std::unique_ptr<UpstreamClient> _queueClient;
    std::unique_ptr<RunningPrompt> _running;
    std::unique_ptr<QueueSnapshot> _queueSnapshot;
    std::unique_ptr<FrameFilter> _filter;
    std::unique_ptr<WebSocketHub> _hub;
    std::unique_ptr<WebSocketRoutes> _webSockets;
    EventBus* _events = nullptr;
    EventBus::SubscriptionId _subscription = 0;
};

} // namespace comfygate::comfyproxy

COMFYGATE_MODULE(comfygate::comfyproxy::ComfyProxyModule, "comfy-proxy", "0.1.0")
