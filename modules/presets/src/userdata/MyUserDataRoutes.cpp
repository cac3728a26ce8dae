#include "MyUserDataRoutes.h"

#include "PresetPermissions.h"
#include "PresetWire.h"
#include "UserDocumentShape.h"
#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace comfygate::presets {

using swarm::Parameter;
using swarm::ParamType;

namespace {

const std::string group = "BasicAPIFeatures";

std::string stringify(const Poco::JSON::Object::Ptr& object)
{
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

} // namespace

MyUserDataRoutes::MyUserDataRoutes(PresetStore& presets, UserDocumentStore& documents, std::size_t maxDocumentBytes,
                                   LanguageOf languageOf)
    : _presets(presets), _documents(documents), _maxDocumentBytes(maxDocumentBytes)
{
    setLanguageSource(std::move(languageOf));
}

void MyUserDataRoutes::setLanguageSource(LanguageOf languageOf)
{
    _languageOf = languageOf ? std::move(languageOf) : [](const std::string&) { return std::string("en"); };
}

void MyUserDataRoutes::registerAll(RouteRegistry& routes)
{
    auto bind = [this](auto method) {
        return [this, method](swarm::Call& call, HttpExchange& exchange, const swarm::Emit&) {
            return (this->*method)(call, exchange);
        };
    };
    const std::size_t documentBodyLimit = _maxDocumentBytes + 64 * 1024;

    swarm::RouteInfo get;
    get.name = "GetMyUserData";
    get.group = group;
    get.permission = PresetPermissions::generateTab;
    get.description = "Your user data: name, presets (yours, then those others shared with everyone, marked "
                      "`shared` and `read_only`), interface language, permission ids, starred models and "
                      "model-preset links. Uploaded previews are lazy `/ViewSpecial/...` URLs.";
    get.returnExample = R"({"user_name": "alice",
  "presets": [{"author": "alice", "title": "portrait", "description": "", "preview_image": "/ViewSpecial/Preset/portrait?editid=1733580000000",
               "is_starred": false, "param_map": {"steps": "30"}, "shared": false, "read_only": false}],
  "language": "en", "permissions": ["fundamental_generate_tab_access", "manage_presets"],
  "starred_models": {"Stable-Diffusion": ["sdxl.safetensors"]},
  "model_preset_links": {"Stable-Diffusion": {"sdxl.safetensors": ["portrait"]}}, "autocompletions": null})";
    swarm::addRoute(routes, get, bind(&MyUserDataRoutes::getMyUserData));

    swarm::RouteInfo starred;
    starred.name = "SetStarredModels";
    starred.group = group;
    starred.permission = PresetPermissions::modelAccess;
    starred.userUpdate = true;
    starred.description =
        "Replaces your starred models: the body (besides session_id) is `{subtype: [model name, ...]}`.";
    starred.parameters = {Parameter::needed("raw", ParamType::Raw,
                                            "`{subtype: [model name, ...]}`, e.g. "
                                            "`{\"Stable-Diffusion\": [\"sdxl.safetensors\"]}`.")};
    starred.returnExample = R"({"success": true})";
    starred.bodyLimit = documentBodyLimit;
    swarm::addRoute(routes, starred, bind(&MyUserDataRoutes::setStarredModels));

    swarm::RouteInfo links;
    links.name = "SetPresetLinks";
    links.group = group;
    links.permission = PresetPermissions::modelAccess;
    links.userUpdate = true;
    links.description = "Replaces your model-preset links: the body (besides session_id) is "
                        "`{subtype: {model name: [preset title, ...]}}`.";
    links.parameters = {Parameter::needed("raw", ParamType::Raw, "`{subtype: {model name: [preset title, ...]}}`.")};
    links.returnExample = R"({"success": true})";
    links.bodyLimit = documentBodyLimit;
    swarm::addRoute(routes, links, bind(&MyUserDataRoutes::setPresetLinks));

    swarm::RouteInfo edits;
    edits.name = "SetParamEdits";
    edits.group = group;
    edits.permission = PresetPermissions::editParams;
    edits.userUpdate = true;
    edits.description = "Saves your edits of generation parameters (`rawData.edits`, an object), replacing the "
                        "previous ones.";
    edits.parameters = {Parameter::needed("rawData", ParamType::Object, "An object with an `edits` object.")};
    edits.returnExample = R"({"success": true})";
    edits.bodyLimit = documentBodyLimit;
    swarm::addRoute(routes, edits, bind(&MyUserDataRoutes::setParamEdits));
}

Poco::Dynamic::Var MyUserDataRoutes::document(const std::string& userId, const std::string& name)
{
    const auto text = _documents.get(userId, name);
    if (!text)
        return Poco::JSON::Object::Ptr(new Poco::JSON::Object);
    return Poco::JSON::Parser().parse(*text);
}

Poco::JSON::Object::Ptr MyUserDataRoutes::getMyUserData(swarm::Call&, HttpExchange& exchange)
{
    const Principal& caller = exchange.principal();
    Poco::JSON::Array::Ptr presets = new Poco::JSON::Array;
    for (const auto& preset : _presets.list(caller.userId))
        presets->add(PresetWire::listed(preset, false));
    for (const auto& preset : _presets.listSharedByOthers(caller.userId))
        presets->add(PresetWire::listed(preset, true));
    Poco::JSON::Array::Ptr permissions = new Poco::JSON::Array;
    for (const auto& permission : caller.permissions)
        permissions->add(permission);

    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("user_name", caller.username);
    answer->set("presets", presets);
    answer->set("language", _languageOf(caller.userId));
    answer->set("permissions", permissions);
    answer->set("starred_models", document(caller.userId, UserDocumentStore::starredModels));
    answer->set("model_preset_links", document(caller.userId, UserDocumentStore::modelPresetLinks));
    answer->set("autocompletions", Poco::Dynamic::Var()); // no autocompletion source yet: null, as SwarmUI without one
    return answer;
}

void MyUserDataRoutes::storeDocument(HttpExchange& exchange, const std::string& name,
                                     const Poco::JSON::Object::Ptr& document,
                                     const std::function<void(const Poco::JSON::Object::Ptr&)>& check)
{
    try {
        check(document);
    } catch (const std::invalid_argument& e) {
        throw swarm::Refusal(std::string("Invalid ") + name + ": " + e.what(), "invalid_input");
    }
    const std::string text = stringify(document);
    if (text.size() > _maxDocumentBytes)
        throw swarm::Refusal("Invalid " + name + ": " + std::to_string(text.size()) + " bytes, more than the " +
                                 std::to_string(_maxDocumentBytes) + " this server keeps",
                             "invalid_input");
    _documents.put(exchange.principal().userId, name, text);
}

Poco::JSON::Object::Ptr MyUserDataRoutes::setStarredModels(swarm::Call& call, HttpExchange& exchange)
{
    storeDocument(exchange, UserDocumentStore::starredModels, call.raw(), &UserDocumentShape::checkStarredModels);
    return swarm::success();
}

Poco::JSON::Object::Ptr MyUserDataRoutes::setPresetLinks(swarm::Call& call, HttpExchange& exchange)
{
    storeDocument(exchange, UserDocumentStore::modelPresetLinks, call.raw(), &UserDocumentShape::checkPresetLinks);
    return swarm::success();
}

Poco::JSON::Object::Ptr MyUserDataRoutes::setParamEdits(swarm::Call& call, HttpExchange& exchange)
{
    const auto edits = call.object("rawData")->getObject("edits");
    storeDocument(exchange, UserDocumentStore::paramEdits, edits, [](const Poco::JSON::Object::Ptr& edits) {
        if (!edits)
            throw std::invalid_argument("rawData needs an 'edits' object");
    });
    return swarm::success();
}

} // namespace comfygate::presets
