#include "ServerDefaults.h"

#include "SettingCoercion.h"

#include <stdexcept>

namespace comfygate::presets {

ServerDefaults ServerDefaults::fromConfig(const SettingsSchema& schema, const Config& config)
{
    ServerDefaults defaults;
    for (const SettingField* field : schema.leaves()) {
        const std::string key = keyPrefix + field->path;
        if (!config.has(key))
            continue;
        const Coercion coerced = SettingCoercion::coerce(*field, config.getString(key, ""));
        if (!coerced.ok)
            throw std::invalid_argument("configuration key " + key + " " + coerced.reason);
        defaults.set(field->path, coerced.value);
    }
    return defaults;
}

const Poco::Dynamic::Var* ServerDefaults::find(const std::string& path) const
{
    const auto found = _values.find(path);
    return found == _values.end() ? nullptr : &found->second;
}

} // namespace comfygate::presets
