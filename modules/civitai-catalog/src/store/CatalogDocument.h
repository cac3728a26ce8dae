#pragma once

#include "CatalogEntry.h"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <string>
#include <vector>

namespace comfygate::civitaicatalog {

/// One export file (models.json, loras.json or llm.json) in comfyui-studio's format (§2.7):
/// `{"version", "date", "categories": [{"id", "name", "models": [entry, ...]}]}`.
class CatalogDocument
{
public:
    /// The three export files, by their name without ".json".
    static const std::vector<std::string>& catalogNames();

    /// The document of `catalog` built from every entry (entries of other catalogs and entries
    /// without a file, e.g. archived versions, are left out). `date` is UTC.
    static Poco::JSON::Object::Ptr build(const std::string& catalog, const std::vector<CatalogEntry>& entries,
                                         std::int64_t version);

    static std::string text(const Poco::JSON::Object::Ptr& document);
};

} // namespace comfygate::civitaicatalog
