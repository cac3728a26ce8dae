#include "SettingsRoutes.h"

#include "SettingsTree.h"
#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Array.h>

#include <ctime>

namespace comfygate::presets {

void SettingsRoutes::registerAll(RouteRegistry& routes)
{
    using swarm::Parameter;
    using swarm::ParamType;
    swarm::addRoute(
        routes,
        {.name = "GetUserSettings",
         .group = "BasicAPIFeatures",
         .permission = "read_user_settings",
         .description = "The caller's user settings as SwarmUI's typed schema tree (schema defaults, then the "
                        "operator's `presets.default_user.*`, then the caller's own changes) and the themes. "
                        "Restricted fields appear only with `can_see_restricted_settings`; secrets read as "
                        "`\"\\t<secret>\"`.",
         .parameters = {},
         .returnExample =
             R"({"themes": {"modern_dark": {"name": "Modern Dark", "is_dark": true, "css_paths": ["css/themes/modern.css"]}},
 "settings": {"FileFormat": {"type": "group", "name": "File Format", "description": "...", "value":
   {"ImageFormat": {"type": "dropdown", "name": "Image Format", "value": "PNG", "description": "...",
    "values": ["PNG", "JPG"], "value_names": ["PNG", "JPG"], "is_secret": false, "default_value": "PNG"}}}}})"},
        [this](swarm::Call& call, HttpExchange& exchange, const swarm::Emit&) {
            return getUserSettings(call, exchange);
        });
    swarm::addRoute(
        routes,
        {.name = "ChangeUserSettings",
         .group = "BasicAPIFeatures",
         .permission = "edit_user_settings",
         .description =
             "Changes the caller's settings: `rawData.settings` maps dotted paths (`FileFormat.ImageFormat`) to "
             "values, coerced to the field's type (`\"5\"` is an integer; a list is a JSON array or comma-separated "
             "text). Every value that fits is applied in one transaction. Unlike SwarmUI, keys that are unknown, "
             "restricted or do not fit are not skipped silently: they are listed in `rejected` with the reason "
             "(a SwarmUI client ignores the extra member).",
         .parameters = {Parameter::needed("rawData", ParamType::Object,
                                          "an object whose `settings` object maps dotted paths to new values")},
         .returnExample = R"({"success": true}
{"success": true, "rejected": {"FileFormat.ImageQuality": "must be at most 100", "Roles": "restricted: only the server's administration changes it"}})",
         .userUpdate = true},
        [this](swarm::Call& call, HttpExchange& exchange, const swarm::Emit&) {
            return changeUserSettings(call, exchange);
        });
}

Poco::JSON::Object::Ptr SettingsRoutes::getUserSettings(swarm::Call&, HttpExchange& exchange)
{
    const Principal& principal = exchange.principal();
    auto values = _settings.effective(principal.userId);
    // Roles come from the auth module, not from a setting: show the caller's real role.
    if (_settings.schema().find("Roles")) {
        Poco::JSON::Array::Ptr roles = new Poco::JSON::Array;
        roles->add(principal.role);
        values["Roles"] = roles;
    }
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("themes", _settings.schema().themes());
    answer->set("settings", SettingsTree::render(_settings, values, principal.has(seeRestrictedPermission)));
    return answer;
}

Poco::JSON::Object::Ptr SettingsRoutes::changeUserSettings(swarm::Call& call, HttpExchange& exchange)
{
    const auto rawData = call.object("rawData");
    if (!rawData->has("settings") || rawData->get("settings").type() != typeid(Poco::JSON::Object::Ptr))
        throw swarm::Refusal("rawData needs a 'settings' object mapping setting paths to values", "invalid_input");
    const auto rejected = _settings.change(exchange.principal().userId, rawData->getObject("settings"),
                                           static_cast<std::int64_t>(std::time(nullptr)));
    auto answer = swarm::success();
    if (!rejected.empty()) {
        Poco::JSON::Object::Ptr reasons = new Poco::JSON::Object;
        for (const auto& [path, reason] : rejected)
            reasons->set(path, reason);
        answer->set("rejected", reasons);
    }
    return answer;
}

} // namespace comfygate::presets
