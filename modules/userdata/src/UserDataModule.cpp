// The userdata module: ComfyUI's userdata, settings and users routes served by the gateway for
// every gateway user from the database, global workflows merged with each user's own, version
// history, promotion to global, Comfy Portal's /cpe routes with UI-to-API workflow conversion,
// and import/export of ComfyUI user folders.
#include "ChangeNotifier.h"
#include "ModuleMigrations.h"
#include "ObjectInfoSource.h"
#include "PortalRoutes.h"
#include "SettingsRoutes.h"
#include "UserDataCommand.h"
#include "UserDataRoutes.h"
#include "UserEnvRoutes.h"
#include "UserFileStore.h"
#include "VersionRoutes.h"
#include "WorkflowLibrary.h"
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"

#include <chrono>
#include <memory>
#include <stdexcept>

namespace comfygate::userdata {

class UserDataModule : public Module
{
public:
    void start(ModuleContext& context) override
    {
        context.database().migrate(context.moduleName(), moduleMigrations());
        declarePermissions(context.permissions());
        const StoreLimits limits = readLimits(context.globalConfig());
        _store = std::make_unique<UserFileStore>(context.database(), limits);
        UserDataCommand::registerWith(context, *_store);
        _notifier = std::make_unique<ChangeNotifier>(&context.events());
        _library = std::make_unique<WorkflowLibrary>(*_store, *_notifier);
        const auto bodyLimit = static_cast<std::size_t>(limits.maxFileBytes);
        _userData = std::make_unique<UserDataRoutes>(*_library, bodyLimit);
        _userData->registerAll(context.routes());
        _settings = std::make_unique<SettingsRoutes>(*_store, *_notifier, bodyLimit);
        _settings->registerAll(context.routes());
        _versions = std::make_unique<VersionRoutes>(*_library);
        _versions->registerAll(context.routes());
        _userEnv = std::make_unique<UserEnvRoutes>(*_library, context.services(), context.audit());
        _userEnv->registerAll(context.routes());
        const Config& config = context.globalConfig();
        _objectInfo = std::make_unique<ObjectInfoSource>(
            context.httpClient(), config.getString("comfy.url", "http://127.0.0.1:8188"),
            std::chrono::seconds(config.getInt("comfy.model_list_ttl_seconds", 30)));
        _portal = std::make_unique<PortalRoutes>(*_library, *_objectInfo, bodyLimit);
        _portal->registerAll(context.routes());
    }

    void stop() noexcept override
    {
        _portal.reset();
        _objectInfo.reset();
        _userEnv.reset();
        _versions.reset();
        _settings.reset();
        _userData.reset();
        _library.reset();
        _notifier.reset();
        _store.reset();
    }

private:
    static void declarePermissions(PermissionRegistry& permissions)
    {
        // Shared with comfy-proxy: whichever module declares an id first keeps its description.
        permissions.declare({"can_access_api", "ComfyUI's read routes (object_info, models, userdata, ...)", "comfyui",
                             {"admin", "power", "user", "guest"}});
        permissions.declare({WorkflowLibrary::modifyPermission,
                             "save, move and delete your workflows and user data files", "comfyui",
                             {"admin", "power", "user"}});
        permissions.declare({WorkflowLibrary::manageGlobalPermission,
                             "change, delete and promote global workflows (user-env workflow actions)", "comfyui",
                             {"admin"}});
    }

    static std::int64_t positive(const Config& config, const std::string& key, std::int64_t fallback,
                                 std::int64_t minimum)
    {
        const std::int64_t value = config.getInt(key, fallback);
        if (value < minimum)
            throw std::invalid_argument("configuration key " + key + ": " + std::to_string(value) +
                                        " must be at least " + std::to_string(minimum));
        return value;
    }

    static StoreLimits readLimits(const Config& config)
    {
        constexpr std::int64_t mib = 1024 * 1024;
        StoreLimits limits;
        limits.maxFileBytes = positive(config, "userdata.max_file_mb", 50, 1) * mib;
        limits.maxFiles = positive(config, "userdata.max_files", 1000, 1);
        limits.maxTotalBytes = positive(config, "userdata.max_total_mb", 256, 1) * mib;
        limits.versionsKept = static_cast<int>(positive(config, "userdata.versions_kept", 20, 0));
        return limits;
    }

    std::unique_ptr<UserFileStore> _store;
    std::unique_ptr<ChangeNotifier> _notifier;
    std::unique_ptr<WorkflowLibrary> _library;
    std::unique_ptr<UserDataRoutes> _userData;
    std::unique_ptr<SettingsRoutes> _settings;
    std::unique_ptr<VersionRoutes> _versions;
    std::unique_ptr<UserEnvRoutes> _userEnv;
    std::unique_ptr<ObjectInfoSource> _objectInfo;
    std::unique_ptr<PortalRoutes> _portal;
};

} // namespace comfygate::userdata

COMFYGATE_MODULE(comfygate::userdata::UserDataModule, "userdata", "0.1.0")
