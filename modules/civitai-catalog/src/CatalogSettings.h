#pragma once

#include "comfygate/Config.h"

#include <filesystem>
#include <string>

namespace comfygate::civitaicatalog {

/// The module's configuration (every key in etc/comfygate.properties and README.md).
struct CatalogSettings
{
    std::filesystem::path directory;  ///< catalog.dir: where models.json, loras.json, llm.json go
    std::filesystem::path modelsRoot; ///< comfy.models_dir: the root model-download writes to
    std::string civitaiBaseUrl;       ///< downloads.civitai.base_url, shared with model-download
    std::string serverCivitaiKey;     ///< catalog.civitai.api_key: used when the caller has none

    static CatalogSettings read(const Config& global, const std::string& dataDir);
};

} // namespace comfygate::civitaicatalog
