#pragma once

#include "CatalogStore.h"

#include <Poco/Logger.h>
#include <Poco/Mutex.h>

#include <filesystem>
#include <optional>

namespace comfygate::civitaicatalog {

/// Every change of the catalog goes through here: the store's put(), then the three export
/// files rewritten atomically in the catalog directory with the new revision as "version".
class CatalogWriter
{
public:
    CatalogWriter(CatalogStore& store, std::filesystem::path directory, Poco::Logger& logger)
        : _store(store), _directory(std::move(directory)), _logger(logger)
    {
    }

    /// @return the new revision; throws StaleRevision (If-Match) like CatalogStore::put().
    std::int64_t put(const CatalogEntry& entry, std::optional<std::int64_t> expected = std::nullopt)
    {
        return put(std::vector<CatalogEntry>{entry}, expected);
    }
    std::int64_t put(const std::vector<CatalogEntry>& entries, std::optional<std::int64_t> expected = std::nullopt);

    /// Writes the export files of the current revision (at startup: the database may have
    /// changed through another instance or the CLI while this one was down).
    void exportAll();

    const std::filesystem::path& directory() const { return _directory; }

private:
    void writeFiles(std::int64_t revision);

    CatalogStore& _store;
    std::filesystem::path _directory;
    Poco::Logger& _logger;
    Poco::FastMutex _mutex; ///< one change and its export at a time, so files never go back a revision
};

} // namespace comfygate::civitaicatalog
