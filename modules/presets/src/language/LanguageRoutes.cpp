#include "LanguageRoutes.h"

namespace comfygate::presets {

void LanguageRoutes::registerAll(RouteRegistry& routes)
{
    swarm::addRoute(
        routes,
        {.name = "GetLanguage",
         .group = "BasicAPIFeatures",
         .permission = "fundamental_generate_tab_access",
         .description = "One UI language: its names and every translation key, English filling the keys the "
                        "language does not translate. Codes are 2-3 letters with an optional region "
                        "(`de`, `pt-br`); anything else is refused with `invalid_language`, a code the server "
                        "does not ship with `unknown_language`.",
         .parameters = {swarm::Parameter::needed("language", swarm::ParamType::String,
                                                 "the language code, e.g. `en` or `de`")},
         .returnExample =
             R"({"language": {"code": "de", "name": "German", "local_name": "Deutsch", "keys": {"Image Format": "Bildformat"}}})"},
        [this](swarm::Call& call, HttpExchange&, const swarm::Emit&) { return getLanguage(call); });
}

Poco::JSON::Object::Ptr LanguageRoutes::getLanguage(swarm::Call& call)
{
    const std::string code = call.string("language");
    if (!LanguageCatalog::isValidCode(code))
        throw swarm::Refusal("Invalid language code.", "invalid_language");
    const auto language = _catalog.find(code);
    if (!language)
        throw swarm::Refusal("Unknown language '" + code + "'.", "unknown_language");
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("language", language);
    return answer;
}

} // namespace comfygate::presets
