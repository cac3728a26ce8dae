#include "ApiKeyTypes.h"

namespace comfygate::presets {

const std::vector<ApiKeyType>& ApiKeyTypes::all()
{
    // Providers are the names modules/model-download reads from auth.secrets, so a download
    // uses the key a user set here.
    static const std::vector<ApiKeyType> types{
        {"civitai_api", "civitai", "CivitAI", "https://civitai.com/user/account"},
        {"huggingface_api", "huggingface", "Hugging Face", "https://huggingface.co/settings/tokens"},
        {"stability_api", "stability", "Stability AI", "https://platform.stability.ai/account/keys"},
    };
    return types;
}

const ApiKeyType* ApiKeyTypes::find(const std::string& keyType)
{
    for (const auto& type : all())
        if (type.keyType == keyType)
            return &type;
    return nullptr;
}

std::string ApiKeyTypes::names()
{
    std::string text;
    for (const auto& type : all())
        text += (text.empty() ? "" : ", ") + type.keyType;
    return text;
}

} // namespace comfygate::presets
