// The presets module: SwarmUI's BasicAPIFeatures routes (`POST /API/<Name>`) for presets and
// the user's own data, settings, languages, status and third-party keys.
#include "ModuleMigrations.h"
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"

// ---- settings, languages, status, keys (src/settings, language, server, keys) ----
#include "SettingsAndServerRoutes.h"

#include <memory>

namespace comfygate::presets {

class PresetsModule : public Module
{
public:
    void start(ModuleContext& context) override
    {
        context.database().migrate(context.moduleName(), moduleMigrations());
        // ---- settings, languages, status, keys ----
        _settingsAndServer = std::make_unique<SettingsAndServerRoutes>(context);
    }

    void stop() noexcept override
    {
        // ---- settings, languages, status, keys ----
        _settingsAndServer.reset();
    }

private:
    // ---- settings, languages, status, keys ----
    std::unique_ptr<SettingsAndServerRoutes> _settingsAndServer;
};

} // namespace comfygate::presets

COMFYGATE_MODULE(comfygate::presets::PresetsModule, "presets", "1.0.0")
