#pragma once

#include <Poco/Dynamic/Var.h>

#include <optional>
#include <string>
#include <vector>

namespace comfygate::presets {

/// The value types of SwarmUI's settings schema (reference swarmui-basic-api.md §5.2).
enum class SettingType
{
    Group,
    Bool,
    Integer,
    Decimal,
    Text,
    List,
    Dropdown
};

/// "group", "bool", "integer", ... as the schema file and SwarmUI's export spell them.
const char* settingTypeName(SettingType type);
/// The type named `name`; std::invalid_argument for any other word.
SettingType settingTypeNamed(const std::string& name);

/// One node of the settings schema: a group of fields or one typed field. Defaults are held in
/// their canonical form (see SettingCoercion): bool, Int64, double, std::string, or a
/// Poco::JSON::Array::Ptr of strings for lists.
struct SettingField
{
    std::string key;  ///< the last path segment, e.g. "ImageFormat"
    std::string path; ///< dotted from the root, e.g. "FileFormat.ImageFormat"
    SettingType type = SettingType::Text;
    std::string name; ///< what a settings page shows, e.g. "Image Format"
    std::string description;
    Poco::Dynamic::Var defaultValue;
    std::vector<std::string> values;     ///< a dropdown's allowed values
    std::vector<std::string> valueNames; ///< what a page shows for each value
    std::string options;                 ///< a dropdown filled at start ("themes", "languages")
    std::optional<double> min;           ///< integer and decimal bounds, inclusive
    std::optional<double> max;
    std::size_t maxLength = 4096;       ///< text and list: characters in all
    bool secret = false;                ///< read back as the sentinel, never as the value
    bool restricted = false;            ///< only callers with can_see_restricted_settings see it; nobody sets it here
    bool hidden = false;                ///< never shown, never set through the routes
    std::vector<SettingField> children; ///< a group's fields, in schema order
};

} // namespace comfygate::presets
