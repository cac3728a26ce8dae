#include "AssetDownloadEvents.h"

#include <Poco/JSON/Parser.h>

namespace comfygate::modeldownload {

AssetDownloadEvents::AssetDownloadEvents(EventBus& events, AssetTasks& tasks, DownloadJobStore& jobs,
                                         AssetStore& assets, Poco::Logger& logger)
    : _events(events), _tasks(tasks), _jobs(jobs), _assets(assets), _logger(logger)
{
    _subscription = _events.subscribe([this](const Event& event) { onEvent(event); });
}

AssetDownloadEvents::~AssetDownloadEvents()
{
    _events.unsubscribe(_subscription);
}

void AssetDownloadEvents::onEvent(const Event& event)
{
    if (event.type != "download_progress")
        return;
    // Runs on the publisher's thread (a job's or a request's): a cached lookup for every
    // event, two small queries for a task's, one write when a task completes.
    try {
        const auto data = Poco::JSON::Parser().parse(event.jsonData).extract<Poco::JSON::Object::Ptr>();
        const std::string jobId = data->optValue<std::string>("job_id", "");
        if (jobId.empty() || !_tasks.isTask(jobId))
            return;
        const auto task = _assets.findTask(jobId);
        const auto job = _jobs.find(jobId);
        if (!task || !job)
            return;
        _events.publish(Event{"asset_download", _tasks.eventJson(*task, *job), Audience::user(task->userId)});
    } catch (const std::exception& error) {
        _logger.warning("asset_download event not published: %s", std::string(error.what()));
    }
}

} // namespace comfygate::modeldownload
