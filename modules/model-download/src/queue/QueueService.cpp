#include "QueueService.h"

#include "comfygate/HttpError.h"

namespace comfygate::modeldownload {

DownloadRequest QueueService::toRequest(const services::ModelDownloadOrder& order) const
{
    if (!_parser.isModelFolder(order.folder))
        throw HttpError(400, "'" + order.folder + "' is not a download folder (downloads.folders)", "invalid_folder");
    DownloadRequest request;
    request.source = order.source;
    request.folderType = order.folder;
    request.requester = DownloadSubject{order.userId, order.username, order.role, order.groups};
    if (order.source == "civitai") {
        if (order.civitaiVersionId.empty())
            throw HttpError(400, "a CivitAI download needs a model version id", "invalid_request");
        request.modelVersionId = order.civitaiVersionId;
        request.type = order.civitaiFileType;
        request.format = order.civitaiFormat;
        request.size = order.civitaiSize;
        request.fp = order.civitaiFp;
    } else if (order.source == "huggingface") {
        const auto slash = order.hfFile.rfind('/');
        request.repoId = order.hfRepo;
        request.subfolder = slash == std::string::npos ? "" : order.hfFile.substr(0, slash);
        request.filename = slash == std::string::npos ? order.hfFile : order.hfFile.substr(slash + 1);
        request.revision = order.hfRevision.empty() ? "main" : order.hfRevision;
        if (request.repoId.empty() || request.filename.empty() || !DownloadRequestParser::isConfinedPath(order.hfFile))
            throw HttpError(400, "a Hugging Face download needs a repository and a plain path", "invalid_request");
    } else {
        throw HttpError(400, "unknown download source '" + order.source + "'", "invalid_request");
    }
    return request;
}

std::string QueueService::enqueue(const services::ModelDownloadOrder& order)
{
    const DownloadRequest request = toRequest(order);
    _submission.check(request, order.userId, "you have");
    const DownloadJob job = _submission.insert(request, order.userId, order.username, order.clientAddress);
    _submission.dispatch();
    return job.id;
}

std::optional<services::ModelDownloadStatus> QueueService::status(const std::string& jobId)
{
    const auto job = _store.find(jobId);
    if (!job)
        return std::nullopt;
    services::ModelDownloadStatus status;
    status.bytes = job->bytesDone;
    status.total = job->totalBytes;
    status.speed = job->speedBps;
    status.error = job->error;
    status.sha256 = job->sha256;
    status.destination = job->destination;
    switch (job->status) {
    case JobStatus::Queued:
        status.status = "queued";
        break;
    case JobStatus::Running:
        status.status = "downloading";
        break;
    case JobStatus::Completed:
        status.status = "done";
        break;
    case JobStatus::Failed:
    case JobStatus::Cancelled:
        status.status = "error";
        if (status.error.empty())
            status.error = toString(job->status);
        break;
    }
    return status;
}

} // namespace comfygate::modeldownload
