#pragma once

#include "CivitaiClient.h"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace comfygate::civitaicatalog {

struct ImageAssetSettings
{
    std::filesystem::path directory;       ///< `<catalog.dir>/assets`
    std::vector<std::string> allowedHosts; ///< `catalog.civitai.image_hosts`
    std::uint64_t maxBytes = 100ull << 20; ///< `catalog.civitai.asset_max_bytes`
    std::chrono::milliseconds timeout{60000};
};

/// Stores the media file of a CivitAI image (what `POST …/download-asset/{id}` does): asks
/// `/api/v1/images?imageId=N&limit=1` for its URL, fetches it only from an allowed image host
/// (every redirect hop checked too, no credentials sent), refuses HTML and oversize bodies,
/// and writes `<directory>/<id>.<ext>` atomically (temp file, fsync, rename, fsync directory).
/// Failures are HttpErrors: 404 unknown image, 502 for what CivitAI or its host got wrong.
class ImageAssetStore
{
public:
    ImageAssetStore(HttpClient& http, ImageAssetSettings settings) : _http(http), _settings(std::move(settings)) {}

    /// The stored file's description: image_id, file, path, bytes, sha256, content_type, source_url.
    Poco::JSON::Object::Ptr store(CivitaiClient& civitai, std::int64_t imageId);

    bool allowedUrl(const std::string& url) const;

private:
    std::string imageUrl(CivitaiClient& civitai, std::int64_t imageId) const;

    HttpClient& _http;
    ImageAssetSettings _settings;
};

} // namespace comfygate::civitaicatalog
