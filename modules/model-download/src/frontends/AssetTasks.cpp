#include "AssetTasks.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace comfygate::modeldownload {
namespace {

constexpr std::size_t rememberedJobs = 4096;

Poco::Dynamic::Var parsed(const std::string& json, const Poco::Dynamic::Var& fallback)
{
    try {
        return Poco::JSON::Parser().parse(json);
    } catch (...) {
        return fallback;
    }
}

Poco::JSON::Object::Ptr payloadOf(const AssetTask& task)
{
    const auto value = parsed(task.payloadJson, Poco::Dynamic::Var());
    if (value.type() == typeid(Poco::JSON::Object::Ptr))
        return value.extract<Poco::JSON::Object::Ptr>();
    return new Poco::JSON::Object;
}

std::string stringify(const Poco::JSON::Object& object)
{
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

double percent(const DownloadJob& job)
{
    if (job.status == JobStatus::Completed)
        return 100;
    if (job.totalBytes <= 0)
        return 0;
    return std::min(100.0, std::round(1000.0 * static_cast<double>(job.bytesDone) / job.totalBytes) / 10.0);
}

} // namespace

bool AssetTasks::isTask(const std::string& jobId)
{
    {
        std::lock_guard lock(_mutex);
        const auto known = _known.find(jobId);
        if (known != _known.end())
            return known->second;
    }
    const bool task = _assets.findTask(jobId).has_value();
    std::lock_guard lock(_mutex);
    if (_known.size() >= rememberedJobs)
        _known.clear();
    _known[jobId] = task;
    return task;
}

void AssetTasks::remember(const std::string& jobId)
{
    std::lock_guard lock(_mutex);
    if (_known.size() >= rememberedJobs)
        _known.clear();
    _known[jobId] = true;
}

const char* AssetTasks::cloudStatus(JobStatus status)
{
    // Comfy Cloud calls a task that waits "created"; the other statuses have the same names.
    return status == JobStatus::Queued ? "created" : toString(status);
}

std::string AssetTasks::isoTime(std::int64_t unixSeconds)
{
    return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(unixSeconds)),
                                           Poco::DateTimeFormat::ISO8601_FORMAT);
}

AssetRecord AssetTasks::assetFor(const AssetTask& task, const DownloadJob& job)
{
    const auto payload = payloadOf(task);
    const std::filesystem::path destination(job.destination);
    AssetRecord candidate;
    candidate.id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    candidate.userId = task.userId;
    candidate.name = destination.filename().string();
    candidate.path = job.destination;
    candidate.size = std::max<std::int64_t>(job.totalBytes, job.bytesDone);
    candidate.sha256 = job.sha256;
    if (payload->has("tags"))
        candidate.tagsJson = payload->get("tags").toString();
    if (payload->has("user_metadata"))
        candidate.userMetadataJson = payload->get("user_metadata").toString();
    candidate.previewId = payload->optValue<std::string>("preview_id", "");
    candidate.createdAt = candidate.updatedAt = job.finishedAt > 0 ? job.finishedAt : job.createdAt;
    return _assets.attachAsset(task.id, candidate);
}

Poco::JSON::Object::Ptr AssetTasks::assetJson(const AssetRecord& asset, std::optional<bool> createdNew)
{
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
    object->set("id", asset.id);
    object->set("name", asset.name);
    // Content is indexed by SHA-256 here; Cloud's own storage says blake3:<hex>.
    object->set("asset_hash", "sha256:" + asset.sha256);
    object->set("size", static_cast<Poco::Int64>(asset.size));
    object->set("mime_type", "application/octet-stream");
    object->set("tags", parsed(asset.tagsJson, Poco::Dynamic::Var(Poco::JSON::Array::Ptr(new Poco::JSON::Array))));
    object->set("user_metadata",
                parsed(asset.userMetadataJson, Poco::Dynamic::Var(Poco::JSON::Object::Ptr(new Poco::JSON::Object))));
    object->set("preview_id", asset.previewId.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(asset.previewId));
    object->set("prompt_id", Poco::Dynamic::Var());
    object->set("created_at", isoTime(asset.createdAt));
    object->set("updated_at", isoTime(asset.updatedAt));
    object->set("last_access_time", isoTime(asset.updatedAt));
    object->set("is_immutable", true); // no route changes or deletes a model file
    if (createdNew)
        object->set("created_new", *createdNew);
    return object;
}

std::string AssetTasks::assetName(const AssetTask& task, const DownloadJob& job)
{
    if (!job.destination.empty())
        return std::filesystem::path(job.destination).filename().string();
    if (!job.request.filename.empty())
        return std::filesystem::path(job.request.filename).filename().string();
    // CivitAI names the file only once the version is resolved: show what was asked for.
    return payloadOf(task)->optValue<std::string>("source_url", "");
}

Poco::JSON::Object::Ptr AssetTasks::taskJson(const AssetTask& task, const DownloadJob& job)
{
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
    object->set("id", task.id);
    object->set("idempotency_key", task.id);
    object->set("task_name", "task:download_file");
    object->set("payload", payloadOf(task));
    object->set("status", std::string(cloudStatus(job.status)));

    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    if (job.status == JobStatus::Completed) {
        const AssetRecord asset = assetFor(task, job);
        result->set("success", true);
        result->set("file_path", job.destination);
        result->set("bytes_downloaded", static_cast<Poco::Int64>(asset.size));
        result->set("content_type", "application/octet-stream");
        result->set("hash", "sha256:" + job.sha256);
        result->set("filename", asset.name);
        result->set("asset_id", asset.id);
        result->set("metadata", payloadOf(task)->get("user_metadata"));
        object->set("result", result);
    } else if (job.status == JobStatus::Failed || job.status == JobStatus::Cancelled) {
        const std::string error = job.status == JobStatus::Cancelled ? "cancelled" : job.error;
        result->set("success", false);
        result->set("error", error);
        object->set("result", result);
        object->set("error_message", error);
    }
    // Not in Cloud's task shape, for clients that poll instead of listening to the socket.
    Poco::JSON::Object::Ptr progress = new Poco::JSON::Object;
    progress->set("bytes_downloaded", static_cast<Poco::Int64>(job.bytesDone));
    progress->set("bytes_total", job.totalBytes >= 0 ? Poco::Dynamic::Var(static_cast<Poco::Int64>(job.totalBytes))
                                                     : Poco::Dynamic::Var());
    progress->set("progress", percent(job));
    object->set("progress", progress);

    object->set("create_time", isoTime(job.createdAt));
    object->set("update_time", isoTime(std::max({job.createdAt, job.startedAt, job.finishedAt})));
    if (job.startedAt > 0)
        object->set("started_at", isoTime(job.startedAt));
    if (job.finishedAt > 0)
        object->set("completed_at", isoTime(job.finishedAt));
    return object;
}

std::string AssetTasks::eventJson(const AssetTask& task, const DownloadJob& job)
{
    Poco::JSON::Object data;
    data.set("task_id", task.id);
    data.set("asset_name", assetName(task, job));
    data.set("bytes_total", static_cast<Poco::Int64>(std::max<std::int64_t>(job.totalBytes, 0)));
    data.set("bytes_downloaded", static_cast<Poco::Int64>(job.bytesDone));
    data.set("progress", percent(job));
    data.set("status", std::string(cloudStatus(job.status)));
    if (job.status == JobStatus::Completed)
        data.set("asset_id", assetFor(task, job).id);
    if (job.status == JobStatus::Failed)
        data.set("error", job.error);
    if (job.status == JobStatus::Cancelled)
        data.set("error", "cancelled");
    return stringify(data);
}

} // namespace comfygate::modeldownload
