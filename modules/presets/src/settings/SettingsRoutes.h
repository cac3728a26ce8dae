#pragma once

#include "UserSettings.h"
#include "comfygate/Route.h"
#include "comfygate/SwarmApi.h"

namespace comfygate::presets {

/// SwarmUI's GetUserSettings and ChangeUserSettings over UserSettings.
class SettingsRoutes
{
public:
    /// Who sees the restricted fields (SwarmUI tier ADMINS).
    static constexpr const char* seeRestrictedPermission = "can_see_restricted_settings";

    explicit SettingsRoutes(UserSettings& settings) : _settings(settings) {}
    void registerAll(RouteRegistry& routes);

private:
    Poco::JSON::Object::Ptr getUserSettings(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr changeUserSettings(swarm::Call& call, HttpExchange& exchange);

    UserSettings& _settings;
};

} // namespace comfygate::presets
