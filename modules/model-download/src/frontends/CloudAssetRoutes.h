#pragma once

#include "AssetTasks.h"
#include "DownloadRequestParser.h"
#include "JobSubmission.h"
#include "PresentFiles.h"
#include "SourceUrl.h"

#include <Poco/Logger.h>

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::modeldownload {

/// Comfy Cloud's asset import on the same queue: `POST /api/assets/download` (200 with the
/// asset when the file is already in its folder, else 202 with a task), `GET
/// /api/tasks/{task_id}` and `DELETE /api/tasks/{task_id}` (cancel). A task is a download
/// job; another user's task is a 404 like an unknown one. Errors are `{"code","message"}`.
class CloudAssetRoutes
{
public:
    CloudAssetRoutes(const DownloadSettings& settings, const DownloadRequestParser& parser, const SourceUrl& sourceUrl,
                     JobSubmission& submission, PresentFiles& present, AssetTasks& tasks, AssetStore& assets,
                     DownloadJobStore& jobs, DownloadQueue& queue, Poco::Logger& logger)
        : _settings(settings), _parser(parser), _sourceUrl(sourceUrl), _submission(submission), _present(present),
          _tasks(tasks), _assets(assets), _jobs(jobs), _queue(queue), _logger(logger)
    {
    }

    void registerAll(RouteRegistry& routes);

private:
    void download(HttpExchange& exchange);
    void task(HttpExchange& exchange);
    void cancel(HttpExchange& exchange);

    /// The caller's task and its job; 404 for anyone else's.
    std::pair<AssetTask, DownloadJob> ownTask(HttpExchange& exchange);
    /// The model folder the tags name (the first tag that is one), else the default folder.
    std::string folderFromTags(const Poco::JSON::Array::Ptr& tags) const;

    const DownloadSettings& _settings;
    const DownloadRequestParser& _parser;
    const SourceUrl& _sourceUrl;
    JobSubmission& _submission;
    PresentFiles& _present;
    AssetTasks& _tasks;
    AssetStore& _assets;
    DownloadJobStore& _jobs;
    DownloadQueue& _queue;
    Poco::Logger& _logger;
};

} // namespace comfygate::modeldownload
