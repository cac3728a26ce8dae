#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <string>

namespace comfygate::civitaicatalog {

/// One catalog entry: the columns it is found by, and `fields`, the object written into the
/// export file (every §2.7 field: name, file, dest, source, size_gb, civitai_*, hash, ...).
struct CatalogEntry
{
    std::string catalog = "models"; ///< models | loras | llm: the export file that lists it
    std::string category;           ///< category id inside that file
    std::string file;
    std::string dest;
    std::string source = "civitai"; ///< civitai | huggingface
    std::int64_t civitaiVersionId = 0;
    std::int64_t civitaiModelId = 0;
    std::int64_t civitaiFileId = 0;
    std::string hfRepo;
    std::string hfFile;
    std::string hfRevision;          ///< the pinned commit
    std::string sha256;              ///< lower-case hex, empty when unknown
    std::string state = "available"; ///< available | restricted | early_access | archived
    Poco::JSON::Object::Ptr fields = new Poco::JSON::Object;

    /// The identity of the entry: where its bytes come from, not its file name.
    std::string key() const
    {
        if (source == "huggingface")
            return "huggingface:" + hfRepo + ":" + hfFile + ":" + hfRevision;
        return "civitai:" + std::to_string(civitaiVersionId) + ":" + std::to_string(civitaiFileId);
    }
};

} // namespace comfygate::civitaicatalog
