#include "PresetWire.h"

#include "PreviewImageCodec.h"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <cctype>
#include <sstream>
#include <stdexcept>

namespace comfygate::presets {

std::string PresetWire::pathOf(const std::string& title)
{
    static const char hex[] = "0123456789ABCDEF";
    std::string path;
    for (const char c : title) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '-' || c == '_' || c == '~' || c == '/') {
            path += c;
        } else {
            path += '%';
            path += hex[byte >> 4];
            path += hex[byte & 15];
        }
    }
    return path;
}

Poco::JSON::Object::Ptr PresetWire::base(const Preset& preset, bool readOnly)
{
    Poco::JSON::Object::Ptr wire = new Poco::JSON::Object;
    wire->set("author", preset.author);
    wire->set("title", preset.title);
    wire->set("description", preset.description);
    wire->set("is_starred", readOnly ? false : preset.isStarred); // starring is the owner's own
    wire->set("param_map", Poco::JSON::Parser().parse(preset.paramMapJson));
    wire->set("shared", preset.shared);
    wire->set("read_only", readOnly);
    return wire;
}

Poco::JSON::Object::Ptr PresetWire::listed(const Preset& preset, bool readOnly)
{
    Poco::JSON::Object::Ptr wire = base(preset, readOnly);
    std::string preview = preset.previewPath.empty() ? placeholder : preset.previewPath;
    if (preset.hasPreviewJpeg) {
        const std::string editId = "?editid=" + std::to_string(preset.revision);
        preview = readOnly ? "/ViewSpecial/SharedPreset/" + pathOf(preset.author) + "/" + pathOf(preset.title) + editId
                           : "/ViewSpecial/Preset/" + pathOf(preset.title) + editId;
    }
    wire->set("preview_image", preview);
    return wire;
}

Poco::JSON::Object::Ptr PresetWire::exported(const Preset& preset)
{
    Poco::JSON::Object::Ptr wire = base(preset, false);
    wire->remove("read_only");
    wire->set("preview_image", preset.previewJpeg           ? PreviewImageCodec::toDataUrl(*preset.previewJpeg)
                               : preset.previewPath.empty() ? std::string(placeholder)
                                                            : preset.previewPath);
    return wire;
}

std::string PresetWire::storedParamMap(const Poco::JSON::Object::Ptr& paramMap, std::size_t maxEntries)
{
    if (paramMap->size() > maxEntries)
        throw std::invalid_argument("param_map has " + std::to_string(paramMap->size()) + " entries; at most " +
                                    std::to_string(maxEntries) + " are kept");
    Poco::JSON::Object stored;
    for (const auto& [key, value] : *paramMap) {
        if (value.isEmpty()) {
            stored.set(key, std::string());
        } else if (value.isString()) {
            stored.set(key, value.extract<std::string>());
        } else if (value.isBoolean() || value.isNumeric()) {
            stored.set(key, value.convert<std::string>());
        } else {
            std::ostringstream nested;
            Poco::JSON::Stringifier::stringify(value, nested);
            stored.set(key, nested.str());
        }
    }
    std::ostringstream out;
    stored.stringify(out);
    return out.str();
}

} // namespace comfygate::presets
