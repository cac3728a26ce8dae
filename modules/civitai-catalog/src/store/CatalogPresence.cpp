#include "CatalogPresence.h"

#include <Poco/String.h>

#include <algorithm>
#include <cctype>

namespace comfygate::civitaicatalog {

bool CatalogPresence::onDisk(const CatalogEntry& entry)
{
    if (entry.sha256.empty() || entry.file.empty())
        return false;
    const std::filesystem::path path = (_modelsRoot / entry.dest / entry.file).lexically_normal();
    // A dest or file with ".." must not make the check look outside the models root.
    const std::string root = _modelsRoot.lexically_normal().string();
    if (path.string().compare(0, root.size(), root) != 0)
        return false;
    const auto hash = _hashes.sha256(path);
    return hash && *hash == entry.sha256;
}

CatalogMatch CatalogPresence::match(const CatalogEntry& entry)
{
    CatalogMatch found;
    found.name = entry.fields->optValue<std::string>("name", entry.file);
    found.file = entry.file;
    found.dest = entry.dest;
    found.catalog = entry.catalog;
    found.sha256 = entry.sha256;
    found.versionId = entry.civitaiVersionId;
    found.onDisk = onDisk(entry);
    return found;
}

std::optional<CatalogMatch> CatalogPresence::byVersionId(std::int64_t civitaiVersionId)
{
    for (const auto& entry : _store.byVersionId(civitaiVersionId))
        if (entry.catalog != "llm" && !entry.file.empty())
            return match(entry);
    return std::nullopt;
}

std::optional<CatalogMatch> CatalogPresence::bySha256(const std::string& hash)
{
    const std::string lower = Poco::toLower(hash);
    const bool hex = std::all_of(lower.begin(), lower.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
    if (!hex || (lower.size() != 64 && lower.size() != 10))
        return std::nullopt;
    const auto entry = _store.bySha256Prefix(lower);
    if (!entry || entry->catalog == "llm")
        return std::nullopt;
    return match(*entry);
}

} // namespace comfygate::civitaicatalog
