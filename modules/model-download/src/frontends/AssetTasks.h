#pragma once

#include "AssetStore.h"
#include "DownloadJob.h"

#include <Poco/JSON/Object.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace comfygate::modeldownload {

/// Comfy Cloud's view of the download queue: a task is a download job plus its Cloud
/// request; a completed task's file becomes an asset of its owner. Builds the JSON of
/// `GET /api/tasks/{id}`, of asset records and of `asset_download` events.
class AssetTasks
{
public:
    explicit AssetTasks(AssetStore& assets) : _assets(assets) {}

    /// True when the job is a Cloud task (remembered, so progress events cost no query).
    bool isTask(const std::string& jobId);
    void remember(const std::string& jobId);

    /// The asset of a completed task's job, created on first use.
    AssetRecord assetFor(const AssetTask& task, const DownloadJob& job);

    /// created | running | completed | failed | cancelled
    static const char* cloudStatus(JobStatus status);

    /// An asset record (AssetCreated when `createdNew` is set).
    static Poco::JSON::Object::Ptr assetJson(const AssetRecord& asset, std::optional<bool> createdNew = std::nullopt);
    /// The task object of GET /api/tasks/{task_id}.
    Poco::JSON::Object::Ptr taskJson(const AssetTask& task, const DownloadJob& job);
    /// The `data` of an `asset_download` event for the job's current state.
    std::string eventJson(const AssetTask& task, const DownloadJob& job);

    static std::string isoTime(std::int64_t unixSeconds);

private:
    static std::string assetName(const AssetTask& task, const DownloadJob& job);

    AssetStore& _assets;
    std::mutex _mutex;
    std::map<std::string, bool> _known; ///< job id -> is a task
};

} // namespace comfygate::modeldownload
