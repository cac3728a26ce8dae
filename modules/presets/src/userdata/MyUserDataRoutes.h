#pragma once

#include "PresetStore.h"
#include "UserDocumentStore.h"
#include "comfygate/SwarmApi.h"

#include <functional>
#include <string>

namespace comfygate {
class RouteRegistry;
}

namespace comfygate::presets {

/// SwarmUI's per-user data routes: GetMyUserData (name, presets, language, permissions,
/// starred models, model-preset links) and the documents it shows, SetStarredModels,
/// SetPresetLinks, plus SetParamEdits (stored here; SwarmUI serves the edits with its
/// parameter listing, not in GetMyUserData).
class MyUserDataRoutes
{
public:
    /// The user's interface language code; the settings store supplies it (default "en").
    using LanguageOf = std::function<std::string(const std::string& userId)>;

    MyUserDataRoutes(PresetStore& presets, UserDocumentStore& documents, std::size_t maxDocumentBytes,
                     LanguageOf languageOf = {});
    void registerAll(RouteRegistry& routes);

    void setLanguageSource(LanguageOf languageOf);

private:
    Poco::JSON::Object::Ptr getMyUserData(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr setStarredModels(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr setPresetLinks(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr setParamEdits(swarm::Call& call, HttpExchange& exchange);

    /// Stores `document` as the caller's `name` after `check` (std::invalid_argument refused).
    void storeDocument(HttpExchange& exchange, const std::string& name, const Poco::JSON::Object::Ptr& document,
                       const std::function<void(const Poco::JSON::Object::Ptr&)>& check);
    Poco::Dynamic::Var document(const std::string& userId, const std::string& name);

    PresetStore& _presets;
    UserDocumentStore& _documents;
    std::size_t _maxDocumentBytes;
    LanguageOf _languageOf;
};

} // namespace comfygate::presets
