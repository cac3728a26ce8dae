#pragma once

#include "CatalogPresence.h"
#include "CatalogStore.h"
#include "CatalogWriter.h"
#include "CivitaiVersionFetcher.h"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>

namespace comfygate::civitaicatalog {

/// What the catalog routes do, apart from HTTP: add a CivitAI version, promote a LoRA into
/// loras.json, build the civitai-map. Errors are HttpError (rendered by the kernel).
class CatalogActions
{
public:
    CatalogActions(CatalogStore& store, CatalogWriter& writer, CatalogPresence& presence,
                   CivitaiVersionFetcher& civitai)
        : _store(store), _writer(writer), _presence(presence), _civitai(civitai)
    {
    }

    /// `{"status": "added" | "already_exists" | "restricted" | "early_access" | "archived", ...}`
    Poco::JSON::Object::Ptr add(std::int64_t versionId, const std::string& apiKey,
                                std::optional<std::int64_t> expectedRevision);

    /// `{"status": "promoted" | "already_exists", "file", "category"}`; 404 / 400 HttpError.
    Poco::JSON::Object::Ptr promoteToLora(std::int64_t versionId, std::optional<std::int64_t> expectedRevision);

    /// `{"version", "by_version": {id: {...}}, "by_model": {id: [version ids]}}`
    Poco::JSON::Object::Ptr civitaiMap();

private:
    CatalogStore& _store;
    CatalogWriter& _writer;
    CatalogPresence& _presence;
    CivitaiVersionFetcher& _civitai;
};

} // namespace comfygate::civitaicatalog
