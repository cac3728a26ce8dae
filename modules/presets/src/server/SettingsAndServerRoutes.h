#pragma once

#include "ApiKeyRoutes.h"
#include "LanguageCatalog.h"
#include "LanguageRoutes.h"
#include "ServerRoutes.h"
#include "SettingsRoutes.h"
#include "SettingsSchema.h"
#include "StatusRoutes.h"
#include "UserLanguage.h"
#include "UserSettings.h"
#include "UserSettingsStore.h"
#include "comfygate/ModuleContext.h"

#include <memory>

namespace comfygate::presets {

/// The presets module's SwarmUI routes that are not about presets: user settings, languages,
/// status and interrupt, the debug message, the installer refusal and third-party API keys.
/// One object, so the module entry wires it in two lines (start, and userLanguage() for
/// GetMyUserData).
class SettingsAndServerRoutes
{
public:
    /// Loads the settings schema and the languages (compiled in from share/), reads
    /// `presets.default_user.*`, declares the permissions and registers the routes. Throws
    /// std::invalid_argument for a bad schema or configuration value.
    explicit SettingsAndServerRoutes(ModuleContext& context);

    /// The user's UI language, for GetMyUserData.
    const UserLanguage& userLanguage() const { return *_userLanguage; }
    UserSettings& userSettings() { return *_settings; }

    /// The embedded schema file (share/presets/user-settings.json).
    static const std::string& embeddedSchema();

private:
    std::unique_ptr<LanguageCatalog> _languages;
    std::unique_ptr<SettingsSchema> _schema;
    std::unique_ptr<UserSettingsStore> _store;
    std::unique_ptr<UserSettings> _settings;
    std::unique_ptr<UserLanguage> _userLanguage;
    std::unique_ptr<SettingsRoutes> _settingsRoutes;
    std::unique_ptr<LanguageRoutes> _languageRoutes;
    std::unique_ptr<StatusRoutes> _statusRoutes;
    std::unique_ptr<ServerRoutes> _serverRoutes;
    std::unique_ptr<ApiKeyRoutes> _apiKeyRoutes;
};

} // namespace comfygate::presets
