#pragma once

#include "CatalogDownloads.h"
#include "comfygate/Audit.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

namespace comfygate::civitaicatalog {

/// `POST /api/admin/models/download/{filename}`, `POST /api/admin/models/download-batch` and
/// the `GET /api/admin/models/status` Server-Sent Events stream (README.md).
class CatalogDownloadRoutes
{
public:
    CatalogDownloadRoutes(CatalogDownloads& downloads, Audit& audit) : _downloads(downloads), _audit(audit) {}

    void registerAll(RouteRegistry& routes);

private:
    void download(HttpExchange& exchange);
    void downloadBatch(HttpExchange& exchange);
    void status(HttpExchange& exchange);

    Poco::JSON::Object::Ptr queueAudited(HttpExchange& exchange, const std::string& file);

    CatalogDownloads& _downloads;
    Audit& _audit;
};

} // namespace comfygate::civitaicatalog
