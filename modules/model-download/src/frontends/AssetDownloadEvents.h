#pragma once

#include "AssetTasks.h"
#include "DownloadJobStore.h"
#include "comfygate/EventBus.h"

#include <Poco/Logger.h>

namespace comfygate::modeldownload {

/// Comfy Cloud's `asset_download` WebSocket event, from the queue's own progress path: every
/// `download_progress` event of a job that is a Cloud task is republished to the same owner
/// (Audience::user) as `{"type":"asset_download","data":{task_id, asset_name, bytes_total,
/// bytes_downloaded, progress, status, asset_id?, error?}}`. A completed task's asset is
/// created here, so the event can name it.
class AssetDownloadEvents
{
public:
    AssetDownloadEvents(EventBus& events, AssetTasks& tasks, DownloadJobStore& jobs, AssetStore& assets,
                        Poco::Logger& logger);
    /// Unsubscribes (waits for a delivery in progress).
    ~AssetDownloadEvents();

    AssetDownloadEvents(const AssetDownloadEvents&) = delete;
    AssetDownloadEvents& operator=(const AssetDownloadEvents&) = delete;

private:
    void onEvent(const Event& event);

    EventBus& _events;
    AssetTasks& _tasks;
    DownloadJobStore& _jobs;
    AssetStore& _assets;
    Poco::Logger& _logger;
    EventBus::SubscriptionId _subscription = 0;
};

} // namespace comfygate::modeldownload
