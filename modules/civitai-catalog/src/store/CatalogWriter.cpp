#include "CatalogWriter.h"

#include "comfygate/AtomicFile.h"
#include "CatalogDocument.h"

#include <filesystem>

namespace comfygate::civitaicatalog {

std::int64_t CatalogWriter::put(const std::vector<CatalogEntry>& entries, std::optional<std::int64_t> expected)
{
    Poco::FastMutex::ScopedLock lock(_mutex);
    const std::int64_t revision = _store.put(entries, expected);
    try {
        writeFiles(revision);
    } catch (const std::exception& error) {
        // The change is committed; the next change or restart rewrites the files.
        _logger.error("catalog export to %s failed: %s", _directory.string(), std::string(error.what()));
    }
    return revision;
}

void CatalogWriter::exportAll()
{
    Poco::FastMutex::ScopedLock lock(_mutex);
    writeFiles(_store.revision());
}

void CatalogWriter::writeFiles(std::int64_t revision)
{
    const auto entries = _store.all();
    std::filesystem::create_directories(_directory);
    for (const auto& name : CatalogDocument::catalogNames())
        AtomicFile::write((_directory / (name + ".json")).string(),
                          CatalogDocument::text(CatalogDocument::build(name, entries, revision)));
}

} // namespace comfygate::civitaicatalog
