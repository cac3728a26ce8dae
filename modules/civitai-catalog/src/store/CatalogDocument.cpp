#include "CatalogDocument.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>

#include <map>
#include <sstream>

namespace comfygate::civitaicatalog {

namespace {

std::string categoryName(const std::string& id)
{
    static const std::map<std::string, std::string> names{
        {"checkpoints", "Checkpoints"},
        {"diffusion_models", "Diffusion models"},
        {"loras", "LoRAs"},
        {"vae", "VAE"},
        {"text_encoders", "Text encoders"},
        {"clip_vision", "CLIP vision"},
        {"controlnet", "ControlNet"},
        {"ipadapter", "IP-Adapter"},
        {"upscalers", "Upscalers"},
        {"embeddings", "Embeddings"},
        {"detectors", "Detectors"},
        {"animatediff", "AnimateDiff"},
        {"segmentation", "Segmentation"},
        {"faceswap", "Face swap"},
        {"wan_loras", "Wan LoRAs"},
        {"flux_loras", "Flux LoRAs"},
        {"illustrious_loras", "Illustrious LoRAs"},
        {"pony_loras", "Pony LoRAs"},
        {"sdxl_loras", "SDXL LoRAs"},
        {"sd15_loras", "SD 1.5 LoRAs"},
        {"ltx_loras", "LTX LoRAs"},
        {"hunyuan_loras", "Hunyuan LoRAs"},
        {"cogvideo_loras", "CogVideoX LoRAs"},
        {"other_loras", "Other LoRAs"},
    };
    const auto found = names.find(id);
    return found == names.end() ? id : found->second;
}

} // namespace

const std::vector<std::string>& CatalogDocument::catalogNames()
{
    static const std::vector<std::string> names{"models", "loras", "llm"};
    return names;
}

Poco::JSON::Object::Ptr CatalogDocument::build(const std::string& catalog, const std::vector<CatalogEntry>& entries,
                                               std::int64_t version)
{
    std::map<std::string, Poco::JSON::Array::Ptr> byCategory;
    std::vector<std::string> order;
    for (const auto& entry : entries) {
        if (entry.catalog != catalog || entry.file.empty())
            continue;
        auto& models = byCategory[entry.category];
        if (!models) {
            models = new Poco::JSON::Array;
            order.push_back(entry.category);
        }
        models->add(entry.fields);
    }
    Poco::JSON::Array::Ptr categories = new Poco::JSON::Array;
    for (const auto& id : order) {
        Poco::JSON::Object::Ptr category = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        category->set("id", id);
        category->set("name", categoryName(id));
        category->set("models", byCategory[id]);
        categories->add(category);
    }
    Poco::JSON::Object::Ptr document = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    document->set("version", Poco::Int64(version));
    document->set("date", Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%d %H:%M"));
    document->set("categories", categories);
    return document;
}

std::string CatalogDocument::text(const Poco::JSON::Object::Ptr& document)
{
    std::ostringstream out;
    document->stringify(out, 2);
    out << '\n';
    return out.str();
}

} // namespace comfygate::civitaicatalog
