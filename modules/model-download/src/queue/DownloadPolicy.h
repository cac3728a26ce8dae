#pragma once

#include "DownloadJob.h"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>

namespace comfygate {
class Policy;
}

namespace comfygate::modeldownload {

/// The policy subject of whoever queued a job (policySubject() of the requester as the job
/// recorded them: user_id, username, role, groups; the other fields at their defaults).
Poco::JSON::Object::Ptr requesterSubject(const DownloadSubject& requester);

/// Asks the `download` Lua hook (fail mode closed). It is asked twice: by the route before
/// the job is queued, when only the request is known (no size_bytes), and by the runner
/// after resolution with size_bytes and the source's file name, so size caps apply.
///   subject = requesterSubject(request.requester)   (whoever queued the job)
///   request = {source, folder_type, destination_type, filename, model_version_id, repo_id,
///              target_username, size_bytes?}
/// Returns the refusal reason, or nothing when allowed.
std::optional<std::string> askDownloadPolicy(Policy& policy, const DownloadRequest& request,
                                             std::optional<std::int64_t> sizeBytes = std::nullopt,
                                             const std::string& resolvedFileName = {});

} // namespace comfygate::modeldownload
