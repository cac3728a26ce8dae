#include "SettingsAndServerRoutes.h"

#include "ShareFiles.h"
#include "SwarmPermissions.h"

#include <Poco/JSON/Object.h>

namespace comfygate::presets {
namespace {

/// The theme ids and names of the schema's `themes`, for the Theme dropdown.
void fillThemes(SettingsSchema& schema)
{
    std::vector<std::string> ids;
    std::vector<std::string> names;
    const auto themes = schema.themes();
    for (const auto& id : themes->getNames()) {
        ids.push_back(id);
        const auto theme = themes->getObject(id);
        names.push_back(theme ? theme->optValue<std::string>("name", id) : id);
    }
    schema.fillOptions("themes", ids, names);
}

void fillLanguages(SettingsSchema& schema, const LanguageCatalog& catalog)
{
    std::vector<std::string> codes;
    std::vector<std::string> names;
    for (const auto& language : catalog.languages()) {
        codes.push_back(language.code);
        names.push_back(language.localName);
    }
    schema.fillOptions("languages", codes, names);
}

} // namespace

const std::string& SettingsAndServerRoutes::embeddedSchema()
{
    return shareFile("presets/user-settings.json");
}

SettingsAndServerRoutes::SettingsAndServerRoutes(ModuleContext& context)
{
    _languages = std::make_unique<LanguageCatalog>(LanguageCatalog::embeddedFiles());
    _schema = std::make_unique<SettingsSchema>(embeddedSchema());
    fillThemes(*_schema);
    fillLanguages(*_schema, *_languages);
    _store = std::make_unique<UserSettingsStore>(context.database());
    _settings =
        std::make_unique<UserSettings>(*_schema, ServerDefaults::fromConfig(*_schema, context.globalConfig()), *_store);
    _userLanguage = std::make_unique<UserLanguage>(*_settings, *_languages);

    declareSwarmPermissions(context.permissions());
    RouteRegistry& routes = context.routes();
    _settingsRoutes = std::make_unique<SettingsRoutes>(*_settings);
    _settingsRoutes->registerAll(routes);
    _languageRoutes = std::make_unique<LanguageRoutes>(*_languages);
    _languageRoutes->registerAll(routes);
    _statusRoutes = std::make_unique<StatusRoutes>(context.services(), context.logger());
    _statusRoutes->registerAll(routes);
    _serverRoutes = std::make_unique<ServerRoutes>(context.audit(), context.logger());
    _serverRoutes->registerAll(routes);
    _apiKeyRoutes = std::make_unique<ApiKeyRoutes>(context.services(), context.audit(), context.logger());
    _apiKeyRoutes->registerAll(routes);
}

} // namespace comfygate::presets
