#include "GenerationType.h"

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include <vector>

namespace comfygate::civitaicatalog {

namespace {

bool mentions(const std::string& text, const std::vector<const char*>& markers)
{
    const std::string lower = Poco::toLower(text);
    for (const char* marker : markers)
        if (lower.find(marker) != std::string::npos)
            return true;
    return false;
}

std::string stringOf(const Poco::JSON::Object& object, const std::string& key)
{
    return object.has(key) && object.get(key).isString() ? object.getValue<std::string>(key) : std::string();
}

/// Names of the objects in `payload[key]` (techniques) or `baseModel`s (resources).
std::vector<std::string> fieldOfEach(const Poco::JSON::Object& payload, const std::string& key,
                                     const std::string& field)
{
    std::vector<std::string> values;
    const auto array = payload.getArray(key);
    for (std::size_t i = 0; array && i < array->size(); ++i)
        if (const auto item = array->getObject(static_cast<unsigned>(i)))
            values.push_back(stringOf(*item, field));
    return values;
}

const std::vector<const char*> videoMarkers{"video", "wan", "hunyuan", "ltx", "cogvideo", "svd"};
const std::vector<const char*> imageInputMarkers{"img2img", "img2vid",     "i2v",           "i2i",
                                                 "inpaint", "image2video", "image-to-video"};

} // namespace

std::string GenerationType::detect(const Poco::JSON::Object& payload)
{
    const std::string type = stringOf(payload, "type");
    const std::string process = stringOf(payload, "process");
    const auto meta = payload.getObject("meta");
    const std::string workflow = meta ? stringOf(*meta, "workflow") : std::string();
    const auto baseModels = fieldOfEach(payload, "resources", "baseModel");
    const auto techniques = fieldOfEach(payload, "techniques", "name");

    bool video = Poco::toLower(type) == "video" || mentions(workflow, videoMarkers);
    bool imageInput = mentions(process, imageInputMarkers) || mentions(workflow, imageInputMarkers);
    for (const auto& baseModel : baseModels) {
        video = video || mentions(baseModel, videoMarkers);
        imageInput = imageInput || mentions(baseModel, {"i2v"});
    }
    for (const auto& technique : techniques)
        imageInput = imageInput || mentions(technique, imageInputMarkers);

    if (video)
        return imageInput ? "i2v" : "t2v";
    if (type.empty() && process.empty())
        return "unknown";
    return imageInput ? "i2i" : "t2i";
}

} // namespace comfygate::civitaicatalog
