#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace comfygate::services {

/// One download another module asks model-download to queue, on behalf of `userId` (the job's
/// owner: the same per-user cap, key, `download` policy hook and audit as MSS-Login's route).
struct ModelDownloadOrder
{
    std::string userId;
    std::string username;
    std::string role;
    std::vector<std::string> groups;
    std::string clientAddress; ///< for the audit record; empty for background work

    std::string source; ///< "civitai" | "huggingface"
    // CivitAI: the version and the selectors that pick the one file (type, format, size, fp:
    // CivitAI's own `?type=&format=&size=&fp=` download parameters).
    std::string civitaiVersionId;
    std::string civitaiFileType, civitaiFormat, civitaiSize, civitaiFp;
    // Hugging Face: repository, path in it, revision (a commit pins it)
    std::string hfRepo, hfFile, hfRevision = "main";

    std::string folder; ///< a configured download folder (downloads.folders)
};

/// A queued download as the caller sees it.
struct ModelDownloadStatus
{
    std::string status; ///< queued | downloading | done | error
    std::int64_t bytes = 0;
    std::int64_t total = -1; ///< -1 while unknown
    double speed = 0;        ///< bytes per second while downloading
    std::string error;
    std::string sha256;      ///< of the finished file (lower-case hex): the caller compares it with the hash it expects
    std::string destination; ///< the finished file's path
};

/// model-download's queue for other modules; published by model-download as "downloads.queue".
class ModelDownloads
{
public:
    static constexpr const char* serviceName = "downloads.queue";

    virtual ~ModelDownloads() = default;

    /// Queues the download; returns the job id. Throws comfygate::HttpError for a refusal
    /// (400 bad order or missing key, 403 policy, 429 per-user cap).
    virtual std::string enqueue(const ModelDownloadOrder& order) = 0;
    /// Nothing for an unknown job id.
    virtual std::optional<ModelDownloadStatus> status(const std::string& jobId) = 0;
};

} // namespace comfygate::services
