#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace comfygate::civitaicatalog {

/// One catalog entry as the image route needs it to enrich CivitAI resources.
struct CatalogMatch
{
    std::string name;    ///< the entry's `name`
    std::string file;    ///< the on-disk file name (`file`)
    std::string dest;    ///< the models subfolder (`dest`)
    std::string catalog; ///< "models" or "loras" (which export file lists it)
    std::string sha256;  ///< lower-case hex, empty when unknown
    std::int64_t versionId = 0;
    bool onDisk = false; ///< the file exists under the models root and matches name and SHA-256
};

/// Read access to the catalog (models.json + loras.json entries), implemented by the catalog
/// store. Thread safe.
class CatalogLookup
{
public:
    virtual ~CatalogLookup() = default;
    virtual std::optional<CatalogMatch> byVersionId(std::int64_t civitaiVersionId) = 0;
    /// Full SHA-256 (64 hex) or CivitAI's AutoV2 (first 10 hex), any case.
    virtual std::optional<CatalogMatch> bySha256(const std::string& hash) = 0;
};

} // namespace comfygate::civitaicatalog
