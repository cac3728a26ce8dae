// The CivitAI catalog module (minimal skeleton of the image half; see README.md).
#include "ImageRoutes.h"
#include "StaticCatalogLookup.h"
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"
#include "comfygate/ServiceRegistry.h"
#include "comfygate/services/UserSecrets.h"

#include <filesystem>
#include <memory>

namespace comfygate::civitaicatalog {

class CivitaiCatalogModule : public Module
{
public:
    void start(ModuleContext& context) override
    {
        const Config& config = context.globalConfig();
        std::filesystem::path catalogDir = config.getString("catalog.dir", "");
        if (catalogDir.empty())
            catalogDir = std::filesystem::path(context.dataDir()) / "catalog";
        const std::filesystem::path modelsRoot =
            std::filesystem::absolute(config.getString("comfy.models_dir", "./var/models")).lexically_normal();

        context.permissions().declare({"can_access_api",
                                       "ComfyUI's read routes (object_info, models, ...)",
                                       "comfyui",
                                       {"admin", "power", "user", "guest"}});
        context.permissions().declare(
            {"can_manage_catalog", "add, promote and download CivitAI catalog entries", "catalog", {"admin"}});

        _catalog = std::make_unique<StaticCatalogLookup>(catalogDir, modelsRoot);
        // Looked up per request: the auth module may start after this one, or be absent.
        ServiceRegistry& services = context.services();
        auto userKey = [&services](const std::string& userId) -> std::optional<std::string> {
            const auto secrets = services.find<services::UserSecrets>(services::UserSecrets::serviceName);
            return secrets && !userId.empty() ? secrets->use(userId, "civitai") : std::nullopt;
        };
        _imageRoutes = std::make_unique<ImageRoutes>(context.httpClient(), *_catalog, context.audit(), userKey,
                                                     ImageRouteSettings::fromConfig(config, catalogDir));
        _imageRoutes->addTo(context.routes());
    }

    void stop() noexcept override
    {
        _imageRoutes.reset();
        _catalog.reset();
    }

private:
    std::unique_ptr<CatalogLookup> _catalog;
    std::unique_ptr<ImageRoutes> _imageRoutes;
};

} // namespace comfygate::civitaicatalog

COMFYGATE_MODULE(comfygate::civitaicatalog::CivitaiCatalogModule, "civitai-catalog", "0.1.0")
