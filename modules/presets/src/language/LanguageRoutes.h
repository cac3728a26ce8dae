#pragma once

#include "LanguageCatalog.h"
#include "comfygate/Route.h"
#include "comfygate/SwarmApi.h"

namespace comfygate::presets {

/// SwarmUI's GetLanguage over the LanguageCatalog.
class LanguageRoutes
{
public:
    explicit LanguageRoutes(const LanguageCatalog& catalog) : _catalog(catalog) {}
    void registerAll(RouteRegistry& routes);

private:
    Poco::JSON::Object::Ptr getLanguage(swarm::Call& call);

    const LanguageCatalog& _catalog;
};

} // namespace comfygate::presets
