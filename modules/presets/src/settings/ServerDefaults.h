#pragma once

#include "SettingsSchema.h"
#include "comfygate/Config.h"

#include <Poco/Dynamic/Var.h>

#include <map>
#include <string>

namespace comfygate::presets {

/// The operator's defaults for every user (SwarmUI's `DefaultUser` section): the layer between
/// the schema's defaults and a user's own values. Read once at start from the configuration
/// keys `presets.default_user.<dotted path>` (e.g. `presets.default_user.Theme = modern_light`).
class ServerDefaults
{
public:
    ServerDefaults() = default;

    /// Every schema field that has a `presets.default_user.<path>` key, coerced like a user's
    /// value. Throws std::invalid_argument naming the key when its value does not fit.
    static ServerDefaults fromConfig(const SettingsSchema& schema, const Config& config);

    /// Sets a default (canonical value, see SettingCoercion).
    void set(const std::string& path, Poco::Dynamic::Var value) { _values[path] = std::move(value); }
    /// The operator's default for the path, or nullptr.
    const Poco::Dynamic::Var* find(const std::string& path) const;

    static constexpr const char* keyPrefix = "presets.default_user.";

private:
    std::map<std::string, Poco::Dynamic::Var> _values;
};

} // namespace comfygate::presets
