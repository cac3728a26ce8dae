// The presets module: SwarmUI's BasicAPIFeatures routes (`POST /API/<Name>`) for presets and
// the user's own data (GetMyUserData, starred models, model-preset links, parameter edits;
// presets shared read-only with every user by those allowed to publish them), settings,
// languages, status and third-party keys.
#include "ModuleMigrations.h"
#include "MyUserDataRoutes.h"
#include "OrphanSweeper.h"
#include "PresetPermissions.h"
#include "PresetRoutes.h"
#include "PresetStore.h"
#include "PresetsSettings.h"
#include "SettingsAndServerRoutes.h"
#include "UserDocumentStore.h"
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"
#include "comfygate/services/UserDirectory.h"

#include <chrono>
#include <memory>

namespace comfygate::presets {

class PresetsModule : public Module
{
public:
    void start(ModuleContext& context) override
    {
        context.database().migrate(context.moduleName(), moduleMigrations());
        PresetPermissions::declareAll(context.permissions());
        const PresetsSettings settings = PresetsSettings::read(context.globalConfig());
        _presets = std::make_unique<PresetStore>(context.database(), settings.maxPresetsPerUser);
        _documents = std::make_unique<UserDocumentStore>(context.database());

        _presetRoutes = std::make_unique<PresetRoutes>(*_presets, settings.limits);
        _presetRoutes->registerAll(context.routes());
        _userDataRoutes = std::make_unique<MyUserDataRoutes>(*_presets, *_documents, settings.userDocumentMaxBytes);
        _userDataRoutes->registerAll(context.routes());
        _settingsAndServer = std::make_unique<SettingsAndServerRoutes>(context);
        const UserLanguage& language = _settingsAndServer->userLanguage();
        _userDataRoutes->setLanguageSource([&language](const std::string& userId) { return language.languageOf(userId); });

        startOrphanSweep(context, settings.orphanSweepMinutes);
    }

    void stop() noexcept override
    {
        _sweeper.reset(); // first: it cancels its timers before the stores go
        _settingsAndServer.reset();
        _userDataRoutes.reset();
        _presetRoutes.reset();
        _documents.reset();
        _presets.reset();
    }

private:
    /// Neither the kernel nor auth announces deleted users; the sweeper asks auth's directory.
    void startOrphanSweep(ModuleContext& context, long long minutes)
    {
        if (minutes <= 0 || !context.serving())
            return;
        ServiceRegistry& services = context.services();
        _sweeper = std::make_unique<OrphanSweeper>(*_presets, *_documents, [&services](const std::string& userId) {
            const auto directory = services.find<services::UserDirectory>(services::UserDirectory::serviceName);
            return directory ? std::optional<bool>(directory->findById(userId).has_value()) : std::nullopt;
        });
        _sweeper->schedule(context.scheduler(), context.logger(), std::chrono::minutes(minutes));
    }

    std::unique_ptr<PresetStore> _presets;
    std::unique_ptr<UserDocumentStore> _documents;
    std::unique_ptr<PresetRoutes> _presetRoutes;
    std::unique_ptr<MyUserDataRoutes> _userDataRoutes;
    std::unique_ptr<OrphanSweeper> _sweeper;
    std::unique_ptr<SettingsAndServerRoutes> _settingsAndServer;
};

} // namespace comfygate::presets

COMFYGATE_MODULE(comfygate::presets::PresetsModule, "presets", "1.0.0")
