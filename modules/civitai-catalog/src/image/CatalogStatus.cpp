#include "CatalogStatus.h"

namespace comfygate::civitaicatalog {

std::optional<CatalogMatch> CatalogStatus::find(std::int64_t versionId, const std::string& hash)
{
    if (versionId > 0)
        if (auto match = _catalog.byVersionId(versionId))
            return match;
    if (!hash.empty())
        return _catalog.bySha256(hash);
    return std::nullopt;
}

void CatalogStatus::annotate(Poco::JSON::Object& target, const std::optional<CatalogMatch>& match)
{
    if (!match) {
        target.set("catalog_status", "not_found");
        return;
    }
    target.set("catalog_status", match->onDisk ? "present" : "missing");
    target.set("catalog_file", match->file);
    target.set("catalog_dest", match->dest);
    target.set("catalog_name", match->name);
}

} // namespace comfygate::civitaicatalog
