// The comfy-proxy module: ComfyUI's HTTP API through the gateway, isolated per user: prompts,
// queue, history and jobs by prompt owner; /view, uploads and file names in workflows by the
// user's folders and prompts; NSFW by the `view` policy hook.
#include "ModuleMigrations.h"
#include "PassThroughRoutes.h"
#include "PromptOwners.h"
#include "JobRoutes.h"
#include "NsfwRoutes.h"
#include "NsfwTags.h"
#include "OutputFiles.h"
#include "PromptRoutes.h"
#include "QueueControlRoutes.h"
#include "UploadRoutes.h"
#include "UpstreamClient.h"
#include "ViewRoutes.h"
#include "WorkflowFileCheck.h"
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
        permissions.declare({"can_manage_nsfw", "tag files NSFW or safe (mark-nsfw)", "comfyui", {"admin"}});

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
        const bool separate = config.getBool("comfy.separate_users", true);
        _owners = std::make_unique<PromptOwners>(context.database());
        _files = std::make_unique<OutputFiles>(context.database(), *_upstream, separate);
        _tags = std::make_unique<NsfwTags>(context.database());
        _fileCheck = std::make_unique<WorkflowFileCheck>(*_upstream, *_files, separate);
        _prompts = std::make_unique<PromptRoutes>(*_upstream, *_owners, context.policy(), *_fileCheck, separate);
        _prompts->registerAll(context.routes());
        _control = std::make_unique<QueueControlRoutes>(*_upstream, *_owners, separate);
        _control->registerAll(context.routes());
        _jobs = std::make_unique<JobRoutes>(*_upstream, *_owners, separate);
        _jobs->registerAll(context.routes());
        _view = std::make_unique<ViewRoutes>(*_upstream, *_files, *_tags, context.policy(), context.services());
        _view->registerAll(context.routes());
        _nsfw = std::make_unique<NsfwRoutes>(*_upstream, *_tags, context.audit());
        _nsfw->registerAll(context.routes());
        _uploads = std::make_unique<UploadRoutes>(*_upstream, *_files, context.dataDir() + "/comfy-uploads",
                                                  settings.maxUploadBytes, separate);
        _uploads->registerAll(context.routes());
    }

    void stop() noexcept override
    {
        _uploads.reset();
        _nsfw.reset();
        _view.reset();
        _jobs.reset();
        _control.reset();
        _prompts.reset();
        _fileCheck.reset();
        _tags.reset();
        _files.reset();
        _owners.reset();
        _passThrough.reset();
        _upstream.reset();
    }

private:
    std::unique_ptr<UpstreamClient> _upstream;
    std::unique_ptr<PassThroughRoutes> _passThrough;
    std::unique_ptr<PromptOwners> _owners;
    std::unique_ptr<OutputFiles> _files;
    std::unique_ptr<NsfwTags> _tags;
    std::unique_ptr<WorkflowFileCheck> _fileCheck;
    std::unique_ptr<PromptRoutes> _prompts;
    std::unique_ptr<QueueControlRoutes> _control;
    std::unique_ptr<JobRoutes> _jobs;
    std::unique_ptr<ViewRoutes> _view;
    std::unique_ptr<NsfwRoutes> _nsfw;
    std::unique_ptr<UploadRoutes> _uploads;
};

} // namespace comfygate::comfyproxy

COMFYGATE_MODULE(comfygate::comfyproxy::ComfyProxyModule, "comfy-proxy", "0.1.0")
