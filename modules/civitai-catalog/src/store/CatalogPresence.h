#pragma once

#include "CatalogLookup.h"
#include "CatalogStore.h"
#include "FileHashCache.h"

#include <filesystem>

namespace comfygate::civitaicatalog {

/// CatalogLookup over the store: an entry is on disk when `<models root>/<dest>/<file>`
/// exists and its SHA-256 is the stored hash (an entry without a hash is never on disk:
/// nothing proves the file is the catalog's).
class CatalogPresence : public CatalogLookup
{
public:
    CatalogPresence(CatalogStore& store, std::filesystem::path modelsRoot)
        : _store(store), _modelsRoot(std::move(modelsRoot))
    {
    }

    std::optional<CatalogMatch> byVersionId(std::int64_t civitaiVersionId) override;
    std::optional<CatalogMatch> bySha256(const std::string& hash) override;

    bool onDisk(const CatalogEntry& entry);

private:
    CatalogMatch match(const CatalogEntry& entry);

    CatalogStore& _store;
    std::filesystem::path _modelsRoot;
    FileHashCache _hashes;
};

} // namespace comfygate::civitaicatalog
