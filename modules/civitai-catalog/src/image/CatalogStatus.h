#pragma once

#include "CatalogLookup.h"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>

namespace comfygate::civitaicatalog {

/// Where a CivitAI resource stands in the catalog (§2.4): `present` (listed and on disk),
/// `missing` (listed, not downloaded), `not_found` (listed in neither catalog file).
class CatalogStatus
{
public:
    explicit CatalogStatus(CatalogLookup& catalog) : _catalog(catalog) {}

    /// Looks the resource up by version id first, then by hash (either may be 0 / empty).
    std::optional<CatalogMatch> find(std::int64_t versionId, const std::string& hash);

    /// Sets `catalog_status` and, with a match, `catalog_file`, `catalog_dest`, `catalog_name`.
    static void annotate(Poco::JSON::Object& target, const std::optional<CatalogMatch>& match);

private:
    CatalogLookup& _catalog;
};

} // namespace comfygate::civitaicatalog
