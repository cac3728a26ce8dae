// The model-download module: a durable, resumable, verified download queue for CivitAI and
// Hugging Face (issue 5). This file wires the parts together.
#include "DownloadFrontEnds.h"
#include "DownloadJobStore.h"
#include "DownloadPolicy.h"
#include "DownloadQueue.h"
#include "DownloadRoutes.h"
#include "DownloadSettings.h"
#include "ModelFileIndex.h"
#include "ModuleMigrations.h"
#include "SourceResolvers.h"
#include "TransferJobRunner.h"
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"
#include "comfygate/Policy.h"
#include "comfygate/services/ModelGrants.h"
#include "comfygate/services/UserSecrets.h"

#include <memory>

namespace comfygate::modeldownload {

class ModelDownloadModule : public Module
{
public:
    void start(ModuleContext& context) override
    {
        auto& permissions = context.permissions();
        permissions.declare(
            {"can_download_models", "queue model downloads (MSS-Login's model-download API)", "models", {"admin"}});
        // Shared with the modules that grant models; whoever starts first declares it.
        if (!permissions.isDeclared("can_manage_model_sharing"))
            permissions.declare(
                {"can_manage_model_sharing", "grant models to users, download for another user", "models", {}});
        context.database().migrate(context.moduleName(), moduleMigrations());
        context.policy().declareHook(
            {"download", "allow or deny a model download request", FailMode::Closed,
             R"({"user_id":"7","username":"alice","role":"user","groups":["free"],"mfa":false,"sfw_check":true,)"
             R"("token_kind":""})",
             R"({"source":"huggingface","folder_type":"loras","destination_type":"local",)"
             R"("filename":"detail-tweaker.safetensors","repo_id":"someone/detail-tweaker","size_bytes":151111111})"});

        _settings = std::make_unique<DownloadSettings>(DownloadSettings::fromConfig(context.globalConfig()));
        _store = std::make_unique<DownloadJobStore>(context.database());
        _index = std::make_unique<ModelFileIndex>(context.database());
        _runner = std::make_unique<TransferJobRunner>(*_settings, *_index, context.policy(),
                                                      runnerParts(context, *_settings));

        DownloadQueue::Settings queueSettings;
        queueSettings.limits = _settings->limits;
        queueSettings.leaseSeconds = _settings->leaseSeconds;
        queueSettings.onCompleted = [&policy = context.policy()](const DownloadJob& job, const JobOutcome& outcome) {
            raiseDownloadFinished(policy, job, outcome);
        };
        _queue = std::make_unique<DownloadQueue>(*_store, *_runner, context.scheduler(), context.events(),
                                                 queueSettings, context.logger());
        _routes = std::make_unique<DownloadRoutes>(*_settings, *_store, *_queue, context.policy(), context.audit(),
                                                   context.services());
        _routes->registerAll(context.routes());
        _frontEnds = std::make_unique<DownloadFrontEnds>(context, *_settings, *_store, *_queue, *_index);
        // A CLI command starts the queue only when it follows a job (DownloadCommands).
        if (context.serving())
            _queue->start();
    }

    /// `download_finished` for the `event` hook: subject = the requester; fields = {job_id,
    /// source, filename, folder, size_bytes, sha256}.
    static void raiseDownloadFinished(Policy& policy, const DownloadJob& job, const JobOutcome& outcome)
    {
        const auto slash = outcome.destination.find_last_of('/');
        Poco::JSON::Object::Ptr fields = new Poco::JSON::Object;
        fields->set("job_id", job.id);
        fields->set("source", job.request.source);
        fields->set("filename",
                    slash == std::string::npos ? outcome.destination : outcome.destination.substr(slash + 1));
        fields->set("folder", job.request.folderType);
        fields->set("size_bytes", static_cast<Poco::Int64>(outcome.size));
        fields->set("sha256", outcome.sha256);
        policy.raise("download_finished", requesterSubject(job.request.requester), fields);
    }

    void stop() noexcept override
    {
        _frontEnds.reset();
        if (_queue)
            _queue->stop();
        _routes.reset();
        _queue.reset();
        _runner.reset();
        _index.reset();
        _store.reset();
        _settings.reset();
    }

private:
    static TransferJobRunner::Parts runnerParts(ModuleContext& context, const DownloadSettings& settings)
    {
        TransferJobRunner::Parts parts;
        HttpClient& http = context.httpClient();
        ResolverSettings resolving;
        resolving.retryBaseDelay = settings.transfer.retryBaseDelay;
        resolving.retryMaxDelay = settings.transfer.retryMaxDelay;
        parts.resolvers = makeSourceResolvers(http, settings, resolving);
        parts.transfer = [&http, transferSettings = settings.transfer](
                             const ResolvedFile& file, const std::filesystem::path& directory, const std::string& name,
                             const FileTransfer::Hooks& hooks) {
            return FileTransfer(http, transferSettings).transfer(file, directory, name, hooks);
        };

        // Services are looked up per job: the auth and comfy-proxy modules may start after
        // this one, and either may be absent.
        ServiceRegistry& services = context.services();
        parts.apiKey = [&services](const std::string& userId, const std::string& source) -> std::optional<std::string> {
            const auto secrets = services.find<services::UserSecrets>(services::UserSecrets::serviceName);
            return secrets ? secrets->use(userId, source) : std::nullopt;
        };
        parts.grant = [&services](const std::string& userId, const std::string& folder, const std::string& item,
                                  const std::string& backend) {
            const auto grants = services.find<services::ModelGrants>(services::ModelGrants::serviceName);
            if (!grants)
                return;
            services::ModelGrant grant;
            grant.kind = services::GrantSubject::User;
            grant.subject = userId;
            grant.folder = folder;
            grant.itemName = item;
            grant.sourceBackend = backend;
            grants->grant(grant); // false when the user already holds it: fine
        };
        parts.s3 = s3Uploader(context, settings);
        parts.s3Staging = std::filesystem::path(context.dataDir()) / "download-staging" / "s3";
        return parts;
    }

    /// With experimental.s3 on, the S3 settings must be complete: a server that starts and then
    /// fails every S3 download would hide the operator's mistake until a user meets it.
    static std::shared_ptr<S3Uploader> s3Uploader(ModuleContext& context, const DownloadSettings& settings)
    {
        if (!settings.s3)
            return nullptr;
        try {
            return std::make_shared<S3Uploader>(S3Uploader::settingsFromConfig(context.globalConfig()),
                                                context.logger());
        } catch (const std::invalid_argument& error) {
            throw std::invalid_argument(std::string("experimental.s3 is on but ") + error.what());
        }
    }

    std::unique_ptr<DownloadSettings> _settings;
    std::unique_ptr<DownloadJobStore> _store;
    std::unique_ptr<ModelFileIndex> _index;
    std::unique_ptr<TransferJobRunner> _runner;
    std::unique_ptr<DownloadQueue> _queue;
    std::unique_ptr<DownloadRoutes> _routes;
    std::unique_ptr<DownloadFrontEnds> _frontEnds;
};

} // namespace comfygate::modeldownload

COMFYGATE_MODULE(comfygate::modeldownload::ModelDownloadModule, "model-download", "0.1.0")
