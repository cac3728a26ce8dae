#pragma once

#include "ServerDefaults.h"
#include "SettingsSchema.h"
#include "UserSettingsStore.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <map>
#include <string>

namespace comfygate::presets {

/// A user's settings in SwarmUI's layers: the schema's defaults, then the operator's
/// (ServerDefaults), then the user's own changes (UserSettingsStore, which keeps only values
/// that differ from the default).
class UserSettings
{
public:
    UserSettings(const SettingsSchema& schema, ServerDefaults defaults, UserSettingsStore& store)
        : _schema(schema), _defaults(std::move(defaults)), _store(store)
    {
    }

    /// What a secret field reads as; writing it back changes nothing (SwarmUI's convention).
    static constexpr const char* secretSentinel = "\t<secret>";

    const SettingsSchema& schema() const { return _schema; }

    /// The operator's default for the field, else the schema's.
    Poco::Dynamic::Var defaultOf(const SettingField& field) const;

    /// Every field's value for the user (path → canonical value).
    std::map<std::string, Poco::Dynamic::Var> effective(const std::string& userId);

    /// One field's value for the user; empty for a path that is not a field.
    Poco::Dynamic::Var valueOf(const std::string& userId, const std::string& path);

    /// What change() did not apply, path → reason. Empty when everything was applied.
    using Rejections = std::map<std::string, std::string>;

    /// Applies `settings` (dotted path → value) for the user in one transaction: the values
    /// that fit are stored (or removed when equal to the default), every other key is reported
    /// with its reason: unknown (hidden fields count as unknown), restricted, a group, or a
    /// value that does not fit the field.
    Rejections change(const std::string& userId, const Poco::JSON::Object::Ptr& settings, std::int64_t now);

private:
    const SettingsSchema& _schema;
    ServerDefaults _defaults;
    UserSettingsStore& _store;
};

} // namespace comfygate::presets
