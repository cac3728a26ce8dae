#pragma once

#include "DownloadJobStore.h"
#include "DownloadQueue.h"
#include "DownloadSettings.h"
#include "comfygate/HttpError.h"

#include <optional>
#include <string>

namespace comfygate {
class Audit;
class Policy;
class ServiceRegistry;
} // namespace comfygate

namespace comfygate::modeldownload {

/// Queues a validated DownloadRequest as a job, for every front end (MSS-Login's
/// `POST download`, Comfy Cloud's asset import, the `download` CLI), with the same rules in the
/// same order: the owner's key when the source needs one (400), the `download` policy hook
/// (403), the per-user cap on unfinished jobs (429); each refusal is an HttpError the caller
/// renders in its own style.
class JobSubmission
{
public:
    JobSubmission(const DownloadSettings& settings, DownloadJobStore& store, DownloadQueue& queue, Policy& policy,
                  Audit& audit, ServiceRegistry& services)
        : _settings(settings), _store(store), _queue(queue), _policy(policy), _audit(audit), _services(services)
    {
    }

    /// Throws HttpError when the job may not be queued for `ownerId`. `ownerPhrase` names the
    /// owner in the missing-key message ("you have", "alma has").
    void check(const DownloadRequest& request, const std::string& ownerId,
               const std::string& ownerPhrase = "this user has") const;

    /// Inserts the job (status queued), audits it as `actor` and publishes its first progress
    /// event. Throws HttpError 429 when the owner's unfinished jobs reached the limit
    /// meanwhile (a submission on another instance). It starts when a dispatcher claims it: call dispatch() to start it here now.
    DownloadJob insert(const DownloadRequest& request, const std::string& ownerId, const std::string& actor,
                       const std::string& clientAddress, const std::string& jobId = newJobId());
    void dispatch() { _queue.dispatch(); }

    /// The owner's stored key for a source (server-side use only).
    std::optional<std::string> apiKey(const std::string& userId, const std::string& source) const;

    static std::string newJobId();

private:
    HttpError tooManyJobs() const;

    const DownloadSettings& _settings;
    DownloadJobStore& _store;
    DownloadQueue& _queue;
    Policy& _policy;
    Audit& _audit;
    ServiceRegistry& _services;
};

} // namespace comfygate::modeldownload
