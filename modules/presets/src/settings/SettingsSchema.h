#pragma once

#include "SettingField.h"

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

namespace comfygate::presets {

/// The user settings schema, read from data (share/presets/user-settings.json):
///   {"themes": {id: {name, is_dark, css_paths}}, "fields": {key: field}}
/// where a field is {"type", "name", "description", "default", "values", "value_names",
/// "options", "min", "max", "max_length", "secret", "restricted", "hidden"} and a group is
/// {"type": "group", "name", "description", "fields": {...}}. Keys are addressed by dotted
/// paths ("FileFormat.ImageFormat"), matched exactly. The schema is immutable once the module
/// has filled the dropdowns that depend on other data (fillOptions), so it is read from many
/// threads without locks.
class SettingsSchema
{
public:
    /// Throws std::invalid_argument naming the path of the first field that is not valid (bad
    /// type, a default that does not fit the type, a key with a dot, ...).
    explicit SettingsSchema(const std::string& jsonText);

    /// The top-level fields, in schema order.
    const std::vector<SettingField>& fields() const { return _fields; }
    /// The field or group at a dotted path; nullptr when there is none.
    const SettingField* find(const std::string& path) const;
    /// Every field that is not a group, depth first in schema order.
    std::vector<const SettingField*> leaves() const;

    /// SwarmUI's `themes` answer: {id: {name, is_dark, css_paths}}.
    Poco::JSON::Object::Ptr themes() const { return _themes; }

    /// Gives every dropdown whose "options" is `source` these values and names (e.g. the
    /// themes, the installed languages). A default outside the values is std::invalid_argument.
    void fillOptions(const std::string& source, const std::vector<std::string>& values,
                     const std::vector<std::string>& names);

private:
    Poco::JSON::Object::Ptr _themes;
    std::vector<SettingField> _fields;
};

} // namespace comfygate::presets
