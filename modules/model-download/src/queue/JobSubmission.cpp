#include "JobSubmission.h"

#include "DownloadPolicy.h"
#include "comfygate/Audit.h"
#include "comfygate/HttpError.h"
#include "comfygate/ServiceRegistry.h"
#include "comfygate/services/UserSecrets.h"

#include <Poco/JSON/Object.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <chrono>
#include <sstream>

namespace comfygate::modeldownload {
namespace {

std::int64_t unixMillis()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string sourceTitle(const std::string& source)
{
    return source == "civitai" ? "CivitAI" : "Hugging Face";
}

} // namespace

std::string JobSubmission::newJobId()
{
    std::string id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
    return id;
}

std::optional<std::string> JobSubmission::apiKey(const std::string& userId, const std::string& source) const
{
    const auto secrets = _services.find<services::UserSecrets>(services::UserSecrets::serviceName);
    return secrets ? secrets->use(userId, source) : std::nullopt;
}

void JobSubmission::check(const DownloadRequest& request, const std::string& ownerId,
                          const std::string& ownerPhrase) const
{
    if (_settings.requiresKey(request.source)) {
        const auto secrets = _services.find<services::UserSecrets>(services::UserSecrets::serviceName);
        const auto providers = secrets ? secrets->providers(ownerId) : std::vector<std::string>{};
        if (std::find(providers.begin(), providers.end(), request.source) == providers.end())
            throw HttpError(400,
                            sourceTitle(request.source) + " needs an API key and " + ownerPhrase +
                                " none stored: PUT /mss-login/api/model-download/api-keys",
                            "missing_api_key");
    }
    if (const auto refusal = askDownloadPolicy(_policy, request))
        throw HttpError(403, *refusal, "policy_denied");
    if (_store.unfinishedCount(ownerId) >= _settings.maxUnfinishedPerUser)
        throw tooManyJobs();
}

HttpError JobSubmission::tooManyJobs() const
{
    return HttpError(429,
                     "too many unfinished downloads (limit " + std::to_string(_settings.maxUnfinishedPerUser) +
                         "); wait for some to finish or cancel them",
                     "too_many_jobs");
}

DownloadJob JobSubmission::insert(const DownloadRequest& request, const std::string& ownerId, const std::string& actor,
                                  const std::string& clientAddress, const std::string& jobId)
{
    DownloadJob job;
    job.id = jobId;
    job.userId = ownerId;
    job.requestedBy = request.requester.userId;
    job.request = request;
    job.queuedAtMs = unixMillis(); // the queue's order within a second
    job.createdAt = job.queuedAtMs / 1000;
    // check() answered early; this is the exact count, against submissions on other instances.
    if (!_store.insertWithin(job, _settings.maxUnfinishedPerUser))
        throw tooManyJobs();

    Poco::JSON::Object detail;
    detail.set("source", request.source);
    detail.set("folder_type", request.folderType);
    detail.set("model_version_id", request.modelVersionId);
    detail.set("repo_id", request.repoId);
    detail.set("filename", request.filename);
    detail.set("owner_id", ownerId);
    std::ostringstream text;
    detail.stringify(text);
    _audit.record({actor, "download.queue", job.id, clientAddress, text.str()});
    _queue.publish(job);
    return job;
}

} // namespace comfygate::modeldownload
