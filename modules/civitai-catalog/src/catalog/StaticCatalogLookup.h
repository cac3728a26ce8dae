#pragma once

#include "CatalogLookup.h"

#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

namespace comfygate::civitaicatalog {

/// CatalogLookup over the exported catalog files `models.json` and `loras.json` of the catalog
/// directory (format of the catalog reference §2.7), re-read when a file changes. An entry is
/// on disk when `<models root>/<dest>/<file>` exists and, if the entry has a `hash`, the file's
/// SHA-256 equals it (hashed once per file size and modification time).
///
/// It reads what the catalog store writes, so it stays correct beside that store; the store
/// may also replace it as the module's CatalogLookup.
class StaticCatalogLookup : public CatalogLookup
{
public:
    StaticCatalogLookup(std::filesystem::path catalogDir, std::filesystem::path modelsRoot);

    std::optional<CatalogMatch> byVersionId(std::int64_t civitaiVersionId) override;
    std::optional<CatalogMatch> bySha256(const std::string& hash) override;

private:
    struct CatalogFile
    {
        std::filesystem::file_time_type modified{};
        bool exists = false;
        std::vector<CatalogMatch> entries;
    };
    struct HashedFile
    {
        std::uintmax_t size = 0;
        std::filesystem::file_time_type modified{};
        std::string sha256;
    };

    /// Re-reads changed catalog files; caller holds _mutex.
    void refresh();
    CatalogMatch withDiskState(CatalogMatch entry);
    std::string fileSha256(const std::filesystem::path& path);

    std::filesystem::path _catalogDir;
    std::filesystem::path _modelsRoot;
    std::mutex _mutex;
    std::map<std::string, CatalogFile> _files; ///< by catalog name: "models", "loras"
    std::map<std::string, HashedFile> _hashes; ///< by absolute model file path
};

} // namespace comfygate::civitaicatalog
