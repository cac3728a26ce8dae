#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace comfygate::civitaicatalog {

/// What CivitAI says a dependency is, once resolved.
struct ResolvedVersion
{
    std::int64_t modelId = 0;
    std::int64_t versionId = 0;
    std::string modelName;
    std::string versionName;
    std::string baseModel;
    std::string type;        ///< CivitAI model type (LORA, TextualInversion, …)
    std::string file;        ///< the primary file's name
    std::string downloadUrl; ///< the version's download URL
};

/// A hidden dependency of an image (catalog reference §2.4).
struct DetectedDependency
{
    std::string name;
    std::string type;   ///< "lora" or "embedding"
    std::string source; ///< "prompt", "negative_prompt" or "meta_resources"
    std::optional<double> weight;
    std::string hash; ///< from meta.resources when it names this dependency
    std::optional<ResolvedVersion> civitai;
};

} // namespace comfygate::civitaicatalog
