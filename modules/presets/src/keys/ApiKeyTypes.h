#pragma once

#include <string>
#include <vector>

namespace comfygate::presets {

/// One kind of third-party key a user may store (SwarmUI's `keyType`).
struct ApiKeyType
{
    std::string keyType;   ///< SwarmUI's name, e.g. "civitai_api"
    std::string provider;  ///< the UserSecrets provider the model-download module reads, e.g. "civitai"
    std::string title;     ///< e.g. "CivitAI"
    std::string createUrl; ///< where a user makes such a key
};

/// The one registry of key types (SwarmUI keeps two that can disagree, weakness §7.9): what
/// SetAPIKey accepts, where the key is stored, and what a settings page shows about it.
class ApiKeyTypes
{
public:
    static const std::vector<ApiKeyType>& all();
    /// The type named `keyType`, or nullptr.
    static const ApiKeyType* find(const std::string& keyType);
    /// "civitai_api, huggingface_api, stability_api", for refusals and docs.
    static std::string names();
};

} // namespace comfygate::presets
