// The comfy-proxy module: ComfyUI's HTTP API through the gateway. This first part forwards
// the routes that carry no per-user data; the per-user isolation of prompts, queue, history,
// outputs and events comes with the routes that need it.
#include "ModuleMigrations.h"
#include "PassThroughRoutes.h"
#include "PromptOwners.h"
#include "JobRoutes.h"
#include "PromptRoutes.h"
#include "QueueControlRoutes.h"
#include "UpstreamClient.h"
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"

#include <memory>

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
    }

    void stop() noexcept override
    {
        _jobs.reset();
        _control.reset();
        _prompts.reset();
        _owners.reset();
        _passThrough.reset();
        _upstream.reset();
    }

private:
    std::unique_ptr<UpstreamClient> _upstream;
    std::unique_ptr<PassThroughRoutes> _passThrough;
    std::unique_ptr<PromptOwners> _owners;
    std::unique_ptr<PromptRoutes> _prompts;
    std::unique_ptr<QueueControlRoutes> _control;
    std::unique_ptr<JobRoutes> _jobs;
};

} // namespace comfygate::comfyproxy

COMFYGATE_MODULE(comfygate::comfyproxy::ComfyProxyModule, "comfy-proxy", "0.1.0")
