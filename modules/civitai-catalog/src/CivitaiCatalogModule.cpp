// The civitai-catalog module: comfyui-studio's model catalog (models.json, loras.json,
// llm.json) kept in the database, exported atomically, extended from CivitAI; and the
// generation data of CivitAI images checked against it.
#include "CatalogActions.h"
#include "CatalogCommand.h"
#include "CatalogDownloadRoutes.h"
#include "CatalogDownloads.h"
#include "CatalogPresence.h"
#include "CatalogRoutes.h"
#include "CatalogSettings.h"
#include "CatalogStore.h"
#include "CatalogWriter.h"
#include "CivitaiVersionFetcher.h"
#include "ImageRoutes.h"
#include "ModuleMigrations.h"
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"
#include "comfygate/ServiceRegistry.h"
#include "comfygate/services/UserSecrets.h"

#include <memory>

namespace comfygate::civitaicatalog {

class CivitaiCatalogModule : public Module
{
public:
    void start(ModuleContext& context) override
    {
        context.database().migrate(context.moduleName(), moduleMigrations());
        declarePermissions(context.permissions());
        const CatalogSettings settings = CatalogSettings::read(context.globalConfig(), context.dataDir());

        _store = std::make_unique<CatalogStore>(context.database());
        _writer = std::make_unique<CatalogWriter>(*_store, settings.directory, context.logger());
        _presence = std::make_unique<CatalogPresence>(*_store, settings.modelsRoot);
        _civitai = std::make_unique<CivitaiVersionFetcher>(context.httpClient(), settings.civitaiBaseUrl);
        _actions = std::make_unique<CatalogActions>(*_store, *_writer, *_presence, *_civitai);
        if (context.serving())
            _writer->exportAll();
        _command = std::make_unique<CatalogCommand>(*_store, *_writer, context.audit());
        context.cli().add(_command->command());

        _routes = std::make_unique<CatalogRoutes>(*_actions, *_store, context.services(), context.audit(),
                                                  settings.serverCivitaiKey);
        _routes->registerAll(context.routes());
        _downloads = std::make_unique<CatalogDownloads>(context.database(), *_store, *_presence, context.services());
        _downloadRoutes = std::make_unique<CatalogDownloadRoutes>(*_downloads, context.audit());
        _downloadRoutes->registerAll(context.routes());

        // GET /api/admin/civitai/image/{image_id} and POST download-asset, against the same catalog.
        // The caller's key is looked up per request: the auth module may start after this one.
        ServiceRegistry& services = context.services();
        auto userKey = [&services](const std::string& userId) -> std::optional<std::string> {
            const auto secrets = services.find<services::UserSecrets>(services::UserSecrets::serviceName);
            return secrets && !userId.empty() ? secrets->use(userId, "civitai") : std::nullopt;
        };
        _imageRoutes = std::make_unique<ImageRoutes>(context.httpClient(), *_presence, context.audit(), userKey,
                                                     ImageRouteSettings::fromConfig(context.globalConfig(),
                                                                                    settings.directory));
        _imageRoutes->addTo(context.routes());
    }

    void stop() noexcept override
    {
        _imageRoutes.reset();
        _downloadRoutes.reset();
        _downloads.reset();
        _routes.reset();
        _actions.reset();
        _command.reset();
        _civitai.reset();
        _presence.reset();
        _writer.reset();
        _store.reset();
    }

private:
    static void declarePermissions(PermissionRegistry& permissions)
    {
        permissions.declare({CatalogRoutes::managePermission,
                             "change the model catalog (add from CivitAI, promote, download entries)",
                             "catalog",
                             {"admin"}});
        // Declared by comfy-proxy with the same meaning; repeated so the catalog's read routes
        // work with comfy-proxy disabled.
        permissions.declare({CatalogRoutes::readPermission,
                             "ComfyUI's read routes (object_info, models, ...)",
                             "comfyui",
                             {"admin", "power", "user", "guest"}});
    }

    std::unique_ptr<CatalogStore> _store;
    std::unique_ptr<CatalogWriter> _writer;
    std::unique_ptr<CatalogPresence> _presence;
    std::unique_ptr<CivitaiVersionFetcher> _civitai;
    std::unique_ptr<CatalogActions> _actions;
    std::unique_ptr<CatalogCommand> _command;
    std::unique_ptr<CatalogRoutes> _routes;
    std::unique_ptr<CatalogDownloads> _downloads;
    std::unique_ptr<CatalogDownloadRoutes> _downloadRoutes;
    std::unique_ptr<ImageRoutes> _imageRoutes;
};

} // namespace comfygate::civitaicatalog

COMFYGATE_MODULE(comfygate::civitaicatalog::CivitaiCatalogModule, "civitai-catalog", "1.0.0")
