#pragma once

#include "DownloadJobStore.h"
#include "DownloadRequestParser.h"
#include "JobSubmission.h"
#include "comfygate/services/ModelDownloads.h"

namespace comfygate::modeldownload {

/// The "downloads.queue" service: other modules' downloads through JobSubmission, so policy,
/// keys, per-user caps, hashing and the atomic publish stay those of every other download.
class QueueService : public services::ModelDownloads
{
public:
    QueueService(JobSubmission& submission, DownloadJobStore& store, const DownloadRequestParser& parser)
        : _submission(submission), _store(store), _parser(parser)
    {
    }

    std::string enqueue(const services::ModelDownloadOrder& order) override;
    std::optional<services::ModelDownloadStatus> status(const std::string& jobId) override;

    /// The order as the queue stores it; HttpError 400 when it names no valid file or folder.
    DownloadRequest toRequest(const services::ModelDownloadOrder& order) const;

private:
    JobSubmission& _submission;
    DownloadJobStore& _store;
    const DownloadRequestParser& _parser;
};

} // namespace comfygate::modeldownload
