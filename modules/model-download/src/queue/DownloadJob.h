#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace comfygate::modeldownload {

/// Who asked for a download, as the `download` policy hook sees them. Kept with the job so
/// the hook can be asked again once the file's size is known, long after the request.
struct DownloadSubject
{
    std::string userId;
    std::string username;
    std::string role;
    std::vector<std::string> groups;
};

/// A download request after validation: what the client asked for, in the shape the queue
/// stores (as JSON) and the runner works from.
struct DownloadRequest
{
    std::string source; ///< "civitai" | "huggingface"
    std::string folderType = "checkpoints";
    std::string destinationType = "local";

    // CivitAI
    std::string modelVersionId;
    std::string type, format, size, fp;
    std::string civitaiHost;

    // Hugging Face
    std::string repoId;
    std::string filename;
    std::string subfolder;
    std::string revision = "main";

    std::string targetUsername; ///< set when an admin queued it for someone else
    DownloadSubject requester;

    std::string toJson() const;
    static DownloadRequest fromJson(const std::string& json);
};

enum class JobStatus
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled
};

const char* toString(JobStatus status);
JobStatus jobStatusFromString(const std::string& text);
inline bool isFinished(JobStatus status)
{
    return status == JobStatus::Completed || status == JobStatus::Failed || status == JobStatus::Cancelled;
}

/// One row of download_jobs.
struct DownloadJob
{
    std::string id;
    std::string userId;      ///< the owner: the job's file is theirs
    std::string requestedBy; ///< the user id of whoever queued it
    DownloadRequest request;
    JobStatus status = JobStatus::Queued;
    std::int64_t bytesDone = 0;
    std::int64_t totalBytes = -1; ///< -1 while unknown
    double speedBps = 0;
    std::string error;
    std::string destination; ///< the published file, once completed
    std::string sha256;
    std::string phase; ///< while running: "" or "downloading", "uploading" (S3)
    std::int64_t createdAt = 0;
    std::int64_t queuedAtMs = 0; ///< creation in milliseconds: the queue's order
    std::int64_t startedAt = 0;  ///< 0 until first started
    std::int64_t finishedAt = 0; ///< 0 until finished
    bool cancelRequested = false;
    std::string leaseOwner;
    std::int64_t leaseExpiresAt = 0;

    const std::string& source() const { return request.source; }
};

/// Counts the clients see next to their jobs (MSS-Login's `stats`).
struct QueueStats
{
    int activeTotal = 0;
    int activeCivitai = 0;
    int activeHuggingface = 0;
    int pendingTotal = 0;
    int limitTotal = 0;
    int limitCivitai = 0;
    int limitHuggingface = 0;
};

} // namespace comfygate::modeldownload
