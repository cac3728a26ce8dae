#pragma once

#include "DownloadJob.h"

#include <Poco/JSON/Object.h>

#include <cstdint>

namespace comfygate::modeldownload {

/// The job object of MSS-Login's model-download API: job_id, source, destination_type,
/// folder_type, status, created_at/started_at/finished_at (Unix seconds, null until then),
/// bytes_done, total_bytes (null while unknown), elapsed, progress_pct, speed_bps,
/// eta_seconds (null while unknown), destination, error, can_cancel, username, plus
/// model_version_id and civitai_host (CivitAI) or repo_id, filename, subfolder (Hugging Face).
Poco::JSON::Object::Ptr jobToJson(const DownloadJob& job, std::int64_t now);

/// MSS-Login's queue `stats`.
Poco::JSON::Object::Ptr statsToJson(const QueueStats& stats);

/// The `data` of a "download_progress" event: job_id, status, bytes_done, total_bytes,
/// progress_pct, speed_bps, eta_seconds, destination, error.
std::string progressEventJson(const DownloadJob& job);

} // namespace comfygate::modeldownload
