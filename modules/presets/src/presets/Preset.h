#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace comfygate::presets {

/// One stored preset (SwarmUI's T2IPreset), as the store reads and writes it.
struct Preset
{
    std::string userId; ///< the owner (publisher, for a shared one)
    std::string title;  ///< already cleaned (StrictNameCleaner)
    std::string author; ///< the owner's user name when saved
    std::string description;
    std::string paramMapJson = "{}"; ///< a JSON object of strings
    bool isStarred = false;
    std::string previewPath;                ///< the placeholder or an /Output... URL, when there is no JPEG
    std::optional<std::string> previewJpeg; ///< not loaded by listings (see PresetStore)
    bool hasPreviewJpeg = false;
    bool shared = false;
    std::int64_t revision = 0; ///< write time in ms; the lazy preview URL's editid
};

} // namespace comfygate::presets
