#pragma once

#include "CatalogLookup.h"
#include "DependencyResolver.h"

#include <Poco/JSON/Object.h>

#include <cstddef>

namespace comfygate::civitaicatalog {

/// Builds the answer of `GET /api/admin/civitai/image/{id}` from CivitAI's generation payload:
/// `raw`, `resources` (with catalog status), `detected_deps` (resolved on CivitAI, at most
/// `maxResolved` of them; the rest stay `unknown` with `resolution: "skipped"`),
/// `clean_prompt`, `meta`, `type`, `process`, `techniques`, `tools`, `detected_type`.
class ImageReport
{
public:
    ImageReport(CatalogLookup& catalog, DependencyResolver& resolver, std::size_t maxResolved)
        : _catalog(catalog), _resolver(resolver), _maxResolved(maxResolved)
    {
    }

    Poco::JSON::Object::Ptr build(const Poco::JSON::Object::Ptr& payload);

private:
    Poco::JSON::Array::Ptr resources(const Poco::JSON::Object& payload);
    Poco::JSON::Array::Ptr dependencies(const Poco::JSON::Object::Ptr& meta);

    CatalogLookup& _catalog;
    DependencyResolver& _resolver;
    std::size_t _maxResolved;
};

} // namespace comfygate::civitaicatalog
