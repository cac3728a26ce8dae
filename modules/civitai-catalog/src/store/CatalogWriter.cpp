#include "CatalogWriter.h"

#include "AtomicFileWriter.h"
#include "CatalogDocument.h"

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
    for (const auto& name : CatalogDocument::catalogNames())
        AtomicFileWriter::write(_directory / (name + ".json"),
                                CatalogDocument::text(CatalogDocument::build(name, entries, revision)));
}

} // namespace comfygate::civitaicatalog
