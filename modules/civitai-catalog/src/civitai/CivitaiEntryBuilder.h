#pragma once

#include "CatalogEntry.h"

#include <Poco/JSON/Object.h>

#include <string>

namespace comfygate::civitaicatalog {

/// Reads a CivitAI model-version answer into a catalog entry: placement (§2.5), the file
/// (primary, else the first), its id, exact size and SHA-256, and the state the creator's
/// settings give it. HttpError 400 for a type without a model folder, 502 for an answer
/// missing what every version has (model.type, files of a live version).
class CivitaiEntryBuilder
{
public:
    /// `reason` says why the state is not "available" (empty when it is).
    struct Result
    {
        CatalogEntry entry;
        std::string reason;
    };

    static Result build(const Poco::JSON::Object::Ptr& version);
};

} // namespace comfygate::civitaicatalog
