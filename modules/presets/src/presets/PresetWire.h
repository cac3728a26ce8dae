#pragma once

#include "Preset.h"

#include <Poco/JSON/Object.h>

#include <cstddef>
#include <string>

namespace comfygate::presets {

/// SwarmUI's wire form of a preset (reference §5.1): author, title, description,
/// preview_image, is_starred, param_map; comfygate adds `shared` (published to everyone) and
/// `read_only` (someone else's shared preset).
class PresetWire
{
public:
    static constexpr const char* placeholder = "imgs/model_placeholder.jpg";

    /// For GetMyUserData: an uploaded preview as the lazy URL `/ViewSpecial/Preset/<title>?editid=N`
    /// (`/ViewSpecial/SharedPreset/<author>/<title>?editid=N` for another user's shared preset).
    static Poco::JSON::Object::Ptr listed(const Preset& preset, bool readOnly);
    /// For ExportUserPresets: the preview as the full data URL (the preset must carry its JPEG).
    static Poco::JSON::Object::Ptr exported(const Preset& preset);

    /// A param_map as SwarmUI stores it: every value a string (numbers and booleans printed,
    /// nested JSON stringified). Throws std::invalid_argument beyond `maxEntries` entries.
    static std::string storedParamMap(const Poco::JSON::Object::Ptr& paramMap, std::size_t maxEntries);

    /// A title as URL path segments ('/' kept, everything but unreserved characters escaped).
    static std::string pathOf(const std::string& title);

private:
    static Poco::JSON::Object::Ptr base(const Preset& preset, bool readOnly);
};

} // namespace comfygate::presets
