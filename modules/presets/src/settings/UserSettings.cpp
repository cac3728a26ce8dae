#include "UserSettings.h"

#include "SettingCoercion.h"

namespace comfygate::presets {

Poco::Dynamic::Var UserSettings::defaultOf(const SettingField& field) const
{
    if (const auto* value = _defaults.find(field.path))
        return *value;
    return field.defaultValue;
}

std::map<std::string, Poco::Dynamic::Var> UserSettings::effective(const std::string& userId)
{
    const auto stored = _store.modified(userId);
    std::map<std::string, Poco::Dynamic::Var> values;
    for (const SettingField* field : _schema.leaves()) {
        Poco::Dynamic::Var value;
        const auto own = stored.find(field->path);
        if (own != stored.end())
            value = SettingCoercion::fromJson(*field, own->second);
        values[field->path] = value.isEmpty() ? defaultOf(*field) : value;
    }
    return values;
}

Poco::Dynamic::Var UserSettings::valueOf(const std::string& userId, const std::string& path)
{
    const SettingField* field = _schema.find(path);
    if (!field || field->type == SettingType::Group)
        return {};
    return effective(userId)[path];
}

UserSettings::Rejections UserSettings::change(const std::string& userId, const Poco::JSON::Object::Ptr& settings,
                                              std::int64_t now)
{
    Rejections rejected;
    std::map<std::string, std::optional<std::string>> changes;
    for (const auto& [path, input] : *settings) {
        const SettingField* field = _schema.find(path);
        if (!field || field->hidden) {
            rejected[path] = "unknown setting";
            continue;
        }
        if (field->restricted) {
            rejected[path] = "restricted: only the server's administration changes it";
            continue;
        }
        if (field->secret && input.isString() && input.extract<std::string>() == secretSentinel)
            continue; // the page sent back what it was shown: keep the secret
        const Coercion coerced = SettingCoercion::coerce(*field, input);
        if (!coerced.ok) {
            rejected[path] = coerced.reason;
            continue;
        }
        if (SettingCoercion::same(coerced.value, defaultOf(*field)))
            changes[path] = std::nullopt;
        else
            changes[path] = SettingCoercion::toJson(coerced.value);
    }
    _store.apply(userId, changes, now);
    return rejected;
}

} // namespace comfygate::presets
