#pragma once

#include "DownloadJob.h"
#include "DownloadSettings.h"
#include "ModelFileIndex.h"
#include "SourceResolvers.h"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace comfygate {
class HttpClient;
}

namespace comfygate::modeldownload {

/// Answers "is the file this request names already in its target folder?" before anything is
/// queued (Comfy Cloud's 200 for a known file): resolves the file at its source — metadata
/// only, one attempt, no byte of the file — and looks its SHA-256 up in the index of
/// finished files of the owner's target folder. A source that names no SHA-256 (a small
/// Hugging Face file) is never "present": such a request is queued and the runner decides.
class PresentFiles
{
public:
    struct Found
    {
        std::filesystem::path path;
        std::string fileName;
        std::string sha256;
        std::int64_t size = 0;
    };

    PresentFiles(HttpClient& http, const DownloadSettings& settings, ModelFileIndex& index);

    /// Throws DownloadRefused when the source refuses the file and HttpClientError when it
    /// cannot be reached.
    std::optional<Found> find(const DownloadRequest& request, const std::string& ownerId, const std::string& apiKey);

private:
    const DownloadSettings& _settings;
    ModelFileIndex& _index;
    SourceResolverMap _resolvers;
};

} // namespace comfygate::modeldownload
