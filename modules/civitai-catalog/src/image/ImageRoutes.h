#pragma once

#include "CatalogLookup.h"
#include "CivitaiClient.h"
#include "ImageAssetStore.h"
#include "comfygate/Audit.h"
#include "comfygate/Config.h"
#include "comfygate/Route.h"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace comfygate {
class HttpExchange;
}

namespace comfygate::civitaicatalog {

struct ImageRouteSettings
{
    CivitaiEndpoint endpoint;
    std::string serverApiKey;        ///< `catalog.civitai.api_key`; used when the caller has none
    std::size_t maxResolvedDeps = 8; ///< `catalog.image.max_resolved_deps`
    ImageAssetSettings assets;

    /// From the global configuration (keys in etc/comfygate.properties, "civitai-catalog").
    static ImageRouteSettings fromConfig(const Config& config, const std::filesystem::path& catalogDir);
};

/// The catalog's image routes: `GET /api/admin/civitai/image/{image_id}` (generation data,
/// resources with catalog status, hidden dependencies) and
/// `POST /api/admin/civitai/download-asset/{image_id}` (stores the image file).
class ImageRoutes
{
public:
    /// The caller's stored CivitAI key (the auth module's "auth.secrets" service).
    using UserKey = std::function<std::optional<std::string>(const std::string& userId)>;

    ImageRoutes(HttpClient& http, CatalogLookup& catalog, Audit& audit, UserKey userKey, ImageRouteSettings settings);

    void addTo(RouteRegistry& routes);

    void imageInfo(HttpExchange& exchange);
    void downloadAsset(HttpExchange& exchange);

private:
    CivitaiClient civitaiFor(const std::string& userId) const;
    static std::int64_t imageIdOf(HttpExchange& exchange);

    HttpClient& _http;
    CatalogLookup& _catalog;
    Audit& _audit;
    UserKey _userKey;
    ImageRouteSettings _settings;
};

} // namespace comfygate::civitaicatalog
