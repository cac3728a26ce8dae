#pragma once

#include "DownloadJobStore.h"
#include "DownloadQueue.h"
#include "DownloadRequestParser.h"
#include "DownloadSettings.h"
#include "JobSubmission.h"

#include <memory>
#include <string>

namespace comfygate {
class Audit;
class HttpExchange;
class Policy;
class RouteRegistry;
class ServiceRegistry;
namespace services {
class UserSecrets;
}
} // namespace comfygate

namespace comfygate::modeldownload {

/// MSS-Login's model-download API under /mss-login/api/model-download/ and its
/// /api/mss-login/api/model-download/ twin: sources, folders, api-keys, download, jobs, one
/// job and cancel. Every route needs can_download_models; a job is visible only to its owner
/// (404 for anyone else's, exactly like an unknown id).
class DownloadRoutes
{
public:
    static constexpr const char* prefix = "/mss-login/api/model-download";

    DownloadRoutes(const DownloadSettings& settings, DownloadJobStore& store, DownloadQueue& queue, Policy& policy,
                   Audit& audit, ServiceRegistry& services)
        : _settings(settings), _store(store), _queue(queue), _audit(audit), _services(services),
          _parser(settings), _submission(settings, store, queue, policy, audit, services)
    {
    }

    void registerAll(RouteRegistry& routes);

private:
    void sources(HttpExchange& exchange);
    void folders(HttpExchange& exchange);
    void listKeys(HttpExchange& exchange);
    void storeKey(HttpExchange& exchange);
    void download(HttpExchange& exchange);
    void jobs(HttpExchange& exchange);
    void job(HttpExchange& exchange);
    void cancel(HttpExchange& exchange);

    std::shared_ptr<services::UserSecrets> secrets() const;
    std::vector<std::string> sourcesWithKeys(const std::string& userId) const;
    DownloadJob ownJob(HttpExchange& exchange);
    void audit(HttpExchange& exchange, const std::string& action, const std::string& target,
               const std::string& detailJson = {});

    const DownloadSettings& _settings;
    DownloadJobStore& _store;
    DownloadQueue& _queue;
    Audit& _audit;
    ServiceRegistry& _services;
    DownloadRequestParser _parser;
    JobSubmission _submission;
};

} // namespace comfygate::modeldownload
