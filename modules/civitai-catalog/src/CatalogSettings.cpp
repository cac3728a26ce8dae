#include "CatalogSettings.h"

namespace comfygate::civitaicatalog {

CatalogSettings CatalogSettings::read(const Config& global, const std::string& dataDir)
{
    CatalogSettings settings;
    const std::string directory = global.getString("catalog.dir", "");
    // Relative paths like data.dir and comfy.models_dir: against the working directory.
    settings.directory = directory.empty() ? std::filesystem::path(dataDir) / "catalog"
                                           : std::filesystem::absolute(directory).lexically_normal();
    settings.modelsRoot =
        std::filesystem::absolute(global.getString("comfy.models_dir", "./var/models")).lexically_normal();
    settings.civitaiBaseUrl = global.getString("downloads.civitai.base_url", "https://civitai.com");
    while (!settings.civitaiBaseUrl.empty() && settings.civitaiBaseUrl.back() == '/')
        settings.civitaiBaseUrl.pop_back();
    settings.serverCivitaiKey = global.getString("catalog.civitai.api_key", "");
    return settings;
}

} // namespace comfygate::civitaicatalog
