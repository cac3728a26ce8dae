// The presets module: SwarmUI's per-user data routes (GetMyUserData, presets, starred models,
// model-preset links, parameter edits) on the gateway's database, with presets shared
// read-only with every user by those allowed to publish them.
#include "ModuleMigrations.h"
#include "MyUserDataRoutes.h"
#include "OrphanSweeper.h"
#include "PresetPermissions.h"
#include "PresetRoutes.h"
#include "PresetStore.h"
#include "UserDocumentStore.h"
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"
#include "comfygate/services/UserDirectory.h"

#include <chrono>
#include <memory>
#include <stdexcept>

namespace comfygate::presets {

class PresetsModule : public Module
{
public:
    void start(ModuleContext& context) override
    {
        context.database().migrate(context.moduleName(), moduleMigrations());
        PresetPermissions::declareAll(context.permissions());
        const Config& config = context.globalConfig();
        const auto maxPresets = static_cast<std::size_t>(positive(config, "presets.max_per_user", 1000, 1));
        _presets = std::make_unique<PresetStore>(context.database(), maxPresets);
        _documents = std::make_unique<UserDocumentStore>(context.database());

        _presetRoutes = std::make_unique<PresetRoutes>(*_presets, readLimits(config));
        _presetRoutes->registerAll(context.routes());
        const auto documentBytes =
            static_cast<std::size_t>(positive(config, "presets.user_document_max_bytes", 1 << 20, 1024));
        _userDataRoutes = std::make_unique<MyUserDataRoutes>(*_presets, *_documents, documentBytes);
        _userDataRoutes->registerAll(context.routes());
        // At merge: the settings routes are constructed and registered here too, and
        // _userDataRoutes->setLanguageSource(...) gets the user's Language setting from them.

        startOrphanSweep(context);
    }

    void stop() noexcept override
    {
        if (_scheduler) {
            _scheduler->cancel(_firstSweep);
            _scheduler->cancel(_sweepTimer);
        }
        _sweeper.reset();
        _userDataRoutes.reset();
        _presetRoutes.reset();
        _documents.reset();
        _presets.reset();
    }

private:
    void startOrphanSweep(ModuleContext& context)
    {
        const long long minutes = context.globalConfig().getInt("presets.orphan_sweep_minutes", 60);
        if (minutes <= 0 || !context.serving())
            return;
        ServiceRegistry& services = context.services();
        _sweeper = std::make_unique<OrphanSweeper>(*_presets, *_documents, [&services](const std::string& userId) {
            const auto directory = services.find<services::UserDirectory>(services::UserDirectory::serviceName);
            return directory ? std::optional<bool>(directory->findById(userId).has_value()) : std::nullopt;
        });
        Poco::Logger& logger = context.logger();
        _scheduler = &context.scheduler();
        auto sweep = [this, &logger] {
            try {
                if (const std::size_t removed = _sweeper->sweep())
                    logger.information("removed the presets and user documents of %z deleted user(s)", removed);
            } catch (const std::exception& e) {
                logger.warning("orphan sweep failed: %s", std::string(e.what()));
            }
        };
        // Once soon after start (users deleted while this module was not loaded), then on the timer.
        _firstSweep = _scheduler->after(std::chrono::seconds(2), sweep);
        _sweepTimer = _scheduler->every(std::chrono::minutes(minutes), sweep);
    }

    static long long positive(const Config& config, const std::string& key, long long fallback, long long minimum)
    {
        const long long value = config.getInt(key, fallback);
        if (value < minimum)
            throw std::invalid_argument("configuration key " + key + ": " + std::to_string(value) +
                                        " must be at least " + std::to_string(minimum));
        return value;
    }

    static PresetLimits readLimits(const Config& config)
    {
        PresetLimits limits;
        limits.preview.maxDataUrlBytes =
            static_cast<std::size_t>(positive(config, "presets.preview_max_bytes", 16 << 20, 1024));
        limits.preview.maxPixels =
            static_cast<std::uint64_t>(positive(config, "presets.preview_max_pixels", 40'000'000, 1));
        limits.preview.maxSide = static_cast<unsigned>(positive(config, "presets.preview_max_side", 256, 16));
        limits.preview.jpegQuality = static_cast<int>(positive(config, "presets.preview_jpeg_quality", 85, 1));
        if (limits.preview.jpegQuality > 100)
            throw std::invalid_argument("configuration key presets.preview_jpeg_quality must be at most 100");
        limits.maxParamEntries = static_cast<std::size_t>(positive(config, "presets.max_param_entries", 2000, 1));
        return limits;
    }

    std::unique_ptr<PresetStore> _presets;
    std::unique_ptr<UserDocumentStore> _documents;
    std::unique_ptr<PresetRoutes> _presetRoutes;
    std::unique_ptr<MyUserDataRoutes> _userDataRoutes;
    std::unique_ptr<OrphanSweeper> _sweeper;
    Scheduler* _scheduler = nullptr;
    Scheduler::TimerId _firstSweep = 0;
    Scheduler::TimerId _sweepTimer = 0;
};

} // namespace comfygate::presets

COMFYGATE_MODULE(comfygate::presets::PresetsModule, "presets", "0.1.0")
