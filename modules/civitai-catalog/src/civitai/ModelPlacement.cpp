#include "ModelPlacement.h"

#include <Poco/String.h>

#include <map>
#include <vector>

namespace comfygate::civitaicatalog {

namespace {

bool mentions(const std::string& baseModel, const std::vector<std::string>& needles)
{
    const std::string lower = Poco::toLower(baseModel);
    for (const auto& needle : needles)
        if (lower.find(needle) != std::string::npos)
            return true;
    return false;
}

bool isDiffusionOnlyBase(const std::string& baseModel)
{
    return mentions(baseModel,
                    {"flux.1 d", "flux.1 s", "wan video", "hunyuan video", "ltx video", "ltxv", "cogvideox"});
}

} // namespace

std::optional<ModelPlacement> ModelPlacement::forCivitaiType(const std::string& type, const std::string& baseModel)
{
    static const std::map<std::string, ModelPlacement> byType{
        {"checkpoint", {"checkpoints", "checkpoints"}},
        {"lora", {"loras", "loras"}},
        {"locon", {"loras", "loras"}},
        {"dora", {"loras", "loras"}},
        {"vae", {"vae", "vae"}},
        {"textualinversion", {"embeddings", "embeddings"}},
        {"aestheticgradient", {"embeddings", "embeddings"}},
        {"controlnet", {"controlnet", "controlnet"}},
        {"poses", {"controlnet", "controlnet"}},
        {"upscaler", {"upscalers", "upscale_models"}},
        {"textencoder", {"text_encoders", "text_encoders"}},
        {"unet", {"diffusion_models", "diffusion_models"}},
        {"clipvision", {"clip_vision", "clip_vision"}},
    };
    const std::string key = Poco::toLower(type);
    if (key == "checkpoint" && isDiffusionOnlyBase(baseModel))
        return ModelPlacement{"diffusion_models", "diffusion_models"};
    const auto found = byType.find(key);
    if (found == byType.end())
        return std::nullopt;
    return found->second;
}

std::string ModelPlacement::loraBucket(const std::string& baseModel)
{
    // Order matters: "Wan Video" before anything else, Illustrious and Pony before SDXL (their
    // base model names often mention SDXL too).
    static const std::vector<std::pair<std::vector<std::string>, std::string>> buckets{
        {{"wan"}, "wan_loras"},   {{"flux"}, "flux_loras"},       {{"illustrious", "noobai"}, "illustrious_loras"},
        {{"pony"}, "pony_loras"}, {{"sdxl"}, "sdxl_loras"},       {{"sd 1.5", "sd1.5", "sd 1.4"}, "sd15_loras"},
        {{"ltx"}, "ltx_loras"},   {{"hunyuan"}, "hunyuan_loras"}, {{"cogvideo"}, "cogvideo_loras"},
    };
    for (const auto& [needles, bucket] : buckets)
        if (mentions(baseModel, needles))
            return bucket;
    return "other_loras";
}

bool ModelPlacement::isLoraType(const std::string& type)
{
    const std::string key = Poco::toLower(type);
    return key == "lora" || key == "locon" || key == "dora";
}

} // namespace comfygate::civitaicatalog
