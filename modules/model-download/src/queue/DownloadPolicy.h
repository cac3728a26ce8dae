#pragma once

#include "DownloadJob.h"

#include <cstdint>
#include <optional>
#include <string>

namespace comfygate {
class Policy;
}

namespace comfygate::modeldownload {

/// Asks the `download` Lua hook (fail mode closed). It is asked twice: by the route before
/// the job is queued, when only the request is known (no size_bytes), and by the runner
/// after resolution with size_bytes and the source's file name, so size caps apply.
///   subject = {username, role, groups}   (whoever queued the job)
///   request = {source, folder_type, destination_type, filename, model_version_id, repo_id,
///              target_username, size_bytes?}
/// Returns the refusal reason, or nothing when allowed.
std::optional<std::string> askDownloadPolicy(Policy& policy, const DownloadRequest& request,
                                             std::optional<std::int64_t> sizeBytes = std::nullopt,
                                             const std::string& resolvedFileName = {});

} // namespace comfygate::modeldownload
