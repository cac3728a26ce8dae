#include "JobJson.h"

#include <cmath>
#include <sstream>

namespace comfygate::modeldownload {
namespace {

Poco::Dynamic::Var timeOrNull(std::int64_t seconds)
{
    return seconds > 0 ? Poco::Dynamic::Var(static_cast<Poco::Int64>(seconds)) : Poco::Dynamic::Var();
}

double roundTo(double value, double step)
{
    return std::round(value / step) * step;
}

/// The members the full job object and the progress event share.
void setProgress(Poco::JSON::Object& object, const DownloadJob& job)
{
    object.set("job_id", job.id);
    object.set("status", std::string(toString(job.status)));
    object.set("bytes_done", static_cast<Poco::Int64>(job.bytesDone));
    object.set("total_bytes", job.totalBytes >= 0 ? Poco::Dynamic::Var(static_cast<Poco::Int64>(job.totalBytes))
                                                  : Poco::Dynamic::Var());
    double percent = 0;
    if (job.status == JobStatus::Completed)
        percent = 100;
    else if (job.totalBytes > 0)
        percent = std::min(100.0, roundTo(100.0 * static_cast<double>(job.bytesDone) / job.totalBytes, 0.1));
    object.set("progress_pct", percent);
    const bool moving = job.status == JobStatus::Running && job.speedBps > 0;
    object.set("speed_bps", moving ? roundTo(job.speedBps, 1) : 0.0);
    Poco::Dynamic::Var eta;
    if (moving && job.totalBytes > 0)
        eta = roundTo(std::max<double>(0, job.totalBytes - job.bytesDone) / job.speedBps, 0.1);
    else if (job.status == JobStatus::Completed)
        eta = 0.0;
    object.set("eta_seconds", eta);
    object.set("destination", job.destination);
    object.set("error", job.error);
    std::string phase;
    if (job.status == JobStatus::Running)
        phase = job.phase.empty() ? "downloading" : job.phase;
    object.set("phase", phase);
}

} // namespace

Poco::JSON::Object::Ptr jobToJson(const DownloadJob& job, std::int64_t now)
{
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
    setProgress(*object, job);
    object->set("source", job.request.source);
    object->set("destination_type", job.request.destinationType);
    object->set("folder_type", job.request.folderType);
    object->set("created_at", timeOrNull(job.createdAt));
    object->set("started_at", timeOrNull(job.startedAt));
    object->set("finished_at", timeOrNull(job.finishedAt));
    std::int64_t elapsed = 0;
    if (job.startedAt > 0)
        elapsed = (job.finishedAt > 0 ? job.finishedAt : now) - job.startedAt;
    object->set("elapsed", static_cast<Poco::Int64>(std::max<std::int64_t>(0, elapsed)));
    object->set("can_cancel",
                (job.status == JobStatus::Queued || job.status == JobStatus::Running) && !job.cancelRequested);
    object->set("sha256", job.sha256);
    if (!job.request.targetUsername.empty())
        object->set("target_username", job.request.targetUsername);
    object->set("requested_by", job.request.requester.username);
    if (job.request.source == "civitai") {
        object->set("model_version_id", job.request.modelVersionId);
        object->set("civitai_host", job.request.civitaiHost);
    } else {
        object->set("repo_id", job.request.repoId);
        object->set("filename", job.request.filename);
        object->set("subfolder", job.request.subfolder);
        object->set("revision", job.request.revision);
    }
    return object;
}

Poco::JSON::Object::Ptr statsToJson(const QueueStats& stats)
{
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
    object->set("active_total", stats.activeTotal);
    object->set("active_civitai", stats.activeCivitai);
    object->set("active_huggingface", stats.activeHuggingface);
    object->set("pending_total", stats.pendingTotal);
    object->set("limit_total", stats.limitTotal);
    object->set("limit_civitai", stats.limitCivitai);
    object->set("limit_huggingface", stats.limitHuggingface);
    return object;
}

std::string progressEventJson(const DownloadJob& job)
{
    Poco::JSON::Object object;
    setProgress(object, job);
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

} // namespace comfygate::modeldownload
