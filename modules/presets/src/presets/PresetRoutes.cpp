#include "PresetRoutes.h"

#include "PresetPermissions.h"
#include "PresetWire.h"
#include "PreviewImageError.h"
#include "StrictNameCleaner.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Array.h>

#include <set>

namespace comfygate::presets {

using swarm::Parameter;
using swarm::ParamType;

namespace {

const std::string group = "BasicAPIFeatures";
const std::string presetTitleHelp = "The preset's title (matched case-insensitively).";

bool isOutputPath(const std::string& value)
{
    // Stored as-is and used by the caller's own browser as an image URL: no query, and no dot
    // segment that could point it at another route.
    return value.rfind("/Output", 0) == 0 && value.find('?') == std::string::npos &&
           value.find("..") == std::string::npos && value.find('\\') == std::string::npos;
}

} // namespace

PresetRoutes::PresetRoutes(PresetStore& store, PresetLimits limits)
    : _store(store), _limits(limits), _codec(limits.preview)
{
}

swarm::Refusal PresetRoutes::fail(const std::string& message)
{
    return swarm::Refusal(message, {}, "preset_fail");
}

void PresetRoutes::registerAll(RouteRegistry& routes)
{
    auto bind = [this](auto method) {
        return [this, method](swarm::Call& call, HttpExchange& exchange, const swarm::Emit&) {
            return (this->*method)(call, exchange);
        };
    };

    swarm::RouteInfo add;
    add.name = "AddNewPreset";
    add.group = group;
    add.permission = PresetPermissions::managePresets;
    add.userUpdate = true;
    add.description = "Saves a new preset, or edits one (`is_edit` with `editing` naming it; a changed title renames "
                      "it). The title is cleaned like a file name (`/` makes folders, dots and forbidden characters "
                      "go). A preview image is re-encoded as a JPEG of at most 256 px with `preview_image_metadata` "
                      "in a comment. Failures answer `preset_fail`.";
    add.parameters = {
        Parameter::needed("title", ParamType::String, "The preset's title."),
        Parameter::needed("description", ParamType::String, "A description shown with the preset."),
        Parameter::needed("raw", ParamType::Object,
                          "The preset's data: an object with a `param_map` object (parameter id -> value; "
                          "values are stored as strings)."),
        Parameter::optional("preview_image", ParamType::String,
                            "Empty or `imgs/model_placeholder.jpg` for none, a `data:image/...;base64,` PNG or JPEG, "
                            "an `/Output...` path (no `?`), or a `/ViewSpecial/...` URL to keep the current preview."),
        Parameter::optional("preview_image_metadata", ParamType::String,
                            "Text embedded in the stored preview JPEG (COM marker)."),
        Parameter::optional("is_edit", ParamType::Bool, "True to change the preset named by `editing`.", false),
        Parameter::optional("editing", ParamType::String, "The title of the preset being edited."),
        Parameter::optional("is_starred", ParamType::Bool, "Whether the preset is starred.", false),
    };
    add.returnExample = R"({"success": true})";
    add.bodyLimit = _limits.preview.maxDataUrlBytes + 1024 * 1024;
    swarm::addRoute(routes, add, bind(&PresetRoutes::addNewPreset));

    swarm::RouteInfo duplicate;
    duplicate.name = "DuplicatePreset";
    duplicate.group = group;
    duplicate.permission = PresetPermissions::managePresets;
    duplicate.userUpdate = true;
    duplicate.description = "Copies one of your presets as `<title> (2)` (or the next free number).";
    duplicate.parameters = {Parameter::needed("preset", ParamType::String, presetTitleHelp)};
    duplicate.returnExample = R"({"success": true})";
    swarm::addRoute(routes, duplicate, bind(&PresetRoutes::duplicatePreset));

    swarm::RouteInfo remove;
    remove.name = "DeletePreset";
    remove.group = group;
    remove.permission = PresetPermissions::managePresets;
    remove.userUpdate = true;
    remove.description = "Deletes one of your presets; `success` says whether it existed. Someone else's shared "
                         "preset is refused (`preset_fail`): only its publisher changes it.";
    remove.parameters = {Parameter::needed("preset", ParamType::String, presetTitleHelp)};
    remove.returnExample = R"({"success": true})";
    swarm::addRoute(routes, remove, bind(&PresetRoutes::deletePreset));

    swarm::RouteInfo exportRoute;
    exportRoute.name = "ExportUserPresets";
    exportRoute.group = group;
    exportRoute.permission = PresetPermissions::generateTab;
    exportRoute.description = "Your presets for download, each preview as its full `data:image/jpeg;base64,` URL.";
    exportRoute.parameters = {Parameter::optional(
        "titles", ParamType::StringList, "A JSON array of the titles to export (all your presets when absent).")};
    exportRoute.returnExample = R"({"presets": [{"author": "alice", "title": "portrait", "description": "",
  "preview_image": "data:image/jpeg;base64,...", "is_starred": false, "param_map": {"steps": "30"}, "shared": false}]})";
    swarm::addRoute(routes, exportRoute, bind(&PresetRoutes::exportUserPresets));

    swarm::RouteInfo publish;
    publish.name = "PublishSharedPreset";
    publish.group = "SharedPresets";
    publish.permission = PresetPermissions::manageSharedPresets;
    publish.userUpdate = true;
    publish.description = "Publishes one of your presets to every user: it appears in their GetMyUserData with "
                          "`shared` and `read_only` true, and only you can change or delete it.";
    publish.parameters = {Parameter::needed("preset", ParamType::String, presetTitleHelp)};
    publish.returnExample = R"({"success": true})";
    swarm::addRoute(routes, publish, bind(&PresetRoutes::publishSharedPreset));

    swarm::RouteInfo unpublish;
    unpublish.name = "UnpublishSharedPreset";
    unpublish.group = "SharedPresets";
    unpublish.permission = PresetPermissions::manageSharedPresets;
    unpublish.userUpdate = true;
    unpublish.description = "Stops sharing a preset: your own, or with `author` one another user published.";
    unpublish.parameters = {
        Parameter::needed("preset", ParamType::String, presetTitleHelp),
        Parameter::optional("author", ParamType::String, "The publisher's user name (default: you)."),
    };
    unpublish.returnExample = R"({"success": true})";
    swarm::addRoute(routes, unpublish, bind(&PresetRoutes::unpublishSharedPreset));

    routes.add(RouteSpec::make(
        "GET", "/ViewSpecial/Preset/{title...}", Access::Permission,
        "the preview image of one of your presets (the lazy URL in GetMyUserData)",
        [this](HttpExchange& exchange) { viewOwnPreview(exchange); }, PresetPermissions::generateTab));
    routes.add(RouteSpec::make(
        "GET", "/ViewSpecial/SharedPreset/{author}/{title...}", Access::Permission,
        "the preview image of a preset shared with everyone",
        [this](HttpExchange& exchange) { viewSharedPreview(exchange); }, PresetPermissions::generateTab));
}

void PresetRoutes::refuseIfSharedByOthers(const std::string& userId, const std::string& title)
{
    if (const auto shared = _store.findSharedByOthers(userId, title))
        throw fail("That preset is shared by " + shared->author + ": only they can change it.");
}

bool PresetRoutes::choosePreview(Preset& preset, const std::string& previewImage, const std::string& metadata) const
{
    if (previewImage.empty() || previewImage == PresetWire::placeholder) {
        preset.previewPath = PresetWire::placeholder;
        return false;
    }
    if (PreviewImageCodec::isDataUrl(previewImage)) {
        try {
            preset.previewJpeg = _codec.fromDataUrl(previewImage, metadata);
        } catch (const PreviewImageError& e) {
            throw fail(e.what());
        }
        return false;
    }
    if (previewImage.rfind("/ViewSpecial/", 0) == 0)
        return true;
    if (isOutputPath(previewImage)) {
        preset.previewPath = previewImage;
        return false;
    }
    throw fail("Forbidden preview-image path.");
}

Poco::JSON::Object::Ptr PresetRoutes::addNewPreset(swarm::Call& call, HttpExchange& exchange)
{
    const Principal& caller = exchange.principal();
    Preset preset;
    preset.userId = caller.userId;
    preset.author = caller.username;
    preset.title = StrictNameCleaner::clean(call.string("title"));
    if (preset.title.empty())
        throw fail("The preset needs a title (letters or digits; dots and the characters <>:\"|?* are removed).");
    preset.description = call.string("description");
    preset.isStarred = call.boolean("is_starred");
    const auto raw = call.object("raw");
    const auto paramMap = raw->getObject("param_map");
    if (!paramMap)
        throw fail("The preset's raw data needs a param_map object.");
    try {
        preset.paramMapJson = PresetWire::storedParamMap(paramMap, _limits.maxParamEntries);
    } catch (const std::invalid_argument& e) {
        throw fail(e.what());
    }

    std::optional<std::string> replacing;
    if (call.boolean("is_edit")) {
        const std::string editing = StrictNameCleaner::clean(call.string("editing"));
        if (!editing.empty()) {
            if (!_store.find(caller.userId, editing, false))
                refuseIfSharedByOthers(caller.userId, editing);
            replacing = editing;
        }
    }
    const bool keepPreview = choosePreview(preset, call.string("preview_image"), call.string("preview_image_metadata"));
    try {
        _store.save(preset, replacing, keepPreview);
    } catch (const PresetConflict& e) {
        throw fail(e.what());
    }
    return swarm::success();
}

Poco::JSON::Object::Ptr PresetRoutes::duplicatePreset(swarm::Call& call, HttpExchange& exchange)
{
    try {
        _store.duplicate(exchange.principal().userId, call.string("preset"));
    } catch (const PresetConflict& e) {
        throw fail(e.what());
    }
    return swarm::success();
}

Poco::JSON::Object::Ptr PresetRoutes::deletePreset(swarm::Call& call, HttpExchange& exchange)
{
    const std::string& userId = exchange.principal().userId;
    const std::string title = call.string("preset");
    const bool removed = _store.remove(userId, title);
    if (!removed)
        refuseIfSharedByOthers(userId, title);
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("success", removed);
    return answer;
}

Poco::JSON::Object::Ptr PresetRoutes::exportUserPresets(swarm::Call& call, HttpExchange& exchange)
{
    const std::string& userId = exchange.principal().userId;
    // Read from the body itself: titles may hold commas, which the string[] binding splits on.
    std::optional<std::set<std::string>> wanted;
    if (call.has("titles")) {
        const auto titles = call.raw()->getArray("titles");
        if (!titles)
            throw swarm::Refusal("Invalid value for parameter 'titles': must be an array of preset titles");
        wanted.emplace();
        for (std::size_t i = 0; i < titles->size(); ++i) {
            if (!titles->get(i).isString())
                throw swarm::Refusal("Invalid value for parameter 'titles': must be an array of preset titles");
            wanted->insert(StrictNameCleaner::key(titles->getElement<std::string>(static_cast<unsigned>(i))));
        }
    }
    Poco::JSON::Array::Ptr presets = new Poco::JSON::Array;
    for (const auto& listed : _store.list(userId)) {
        if (wanted && !wanted->count(StrictNameCleaner::key(listed.title)))
            continue;
        if (const auto full = _store.find(userId, listed.title, true))
            presets->add(PresetWire::exported(*full));
    }
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("presets", presets);
    return answer;
}

Poco::JSON::Object::Ptr PresetRoutes::publishSharedPreset(swarm::Call& call, HttpExchange& exchange)
{
    if (!_store.setShared(exchange.principal().userId, call.string("preset"), true))
        throw fail("No such preset.");
    return swarm::success();
}

Poco::JSON::Object::Ptr PresetRoutes::unpublishSharedPreset(swarm::Call& call, HttpExchange& exchange)
{
    const Principal& caller = exchange.principal();
    const std::string author = call.string("author");
    const bool found = author.empty() || author == caller.username
                           ? _store.setShared(caller.userId, call.string("preset"), false)
                           : _store.unshareByAuthor(author, call.string("preset"));
    if (!found)
        throw fail("No such preset.");
    return swarm::success();
}

void PresetRoutes::sendJpeg(HttpExchange& exchange, const std::optional<Preset>& preset)
{
    if (!preset || !preset->previewJpeg)
        throw HttpError(404, "No such preset preview.");
    // The URL carries the revision (editid), so a cached copy is never stale for long.
    exchange.response().set("Cache-Control", "private, max-age=3600");
    exchange.response().set("X-Content-Type-Options", "nosniff");
    exchange.sendText(200, "image/jpeg", *preset->previewJpeg);
}

void PresetRoutes::viewOwnPreview(HttpExchange& exchange)
{
    sendJpeg(exchange, _store.find(exchange.principal().userId, exchange.param("title"), true));
}

void PresetRoutes::viewSharedPreview(HttpExchange& exchange)
{
    sendJpeg(exchange, _store.findShared(exchange.param("author"), exchange.param("title")));
}

} // namespace comfygate::presets
