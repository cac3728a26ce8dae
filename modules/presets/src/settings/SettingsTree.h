#pragma once

#include "UserSettings.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <map>
#include <string>

namespace comfygate::presets {

/// SwarmUI's settings export (GetUserSettings' `settings`): key → {type, name, value,
/// description, values, value_names, is_secret, default_value}, a group's `value` being its
/// nested tree, in schema order. Lists are shown joined with " || " as SwarmUI shows them,
/// secrets as UserSettings::secretSentinel, hidden fields never, restricted fields only to
/// callers allowed to see them.
class SettingsTree
{
public:
    static Poco::JSON::Object::Ptr render(const UserSettings& settings,
                                          const std::map<std::string, Poco::Dynamic::Var>& values, bool seeRestricted);
};

} // namespace comfygate::presets
