#pragma once

#include "PresetRoutes.h"

#include <cstddef>

namespace comfygate {
class Config;
}

namespace comfygate::presets {

/// The module's configuration keys (etc/comfygate.properties, `presets.*`), read and checked
/// once at start: a value out of range stops the start with the key named.
struct PresetsSettings
{
    PresetLimits limits;
    std::size_t maxPresetsPerUser = 1000;
    std::size_t userDocumentMaxBytes = 1 << 20;
    long long orphanSweepMinutes = 60; ///< 0 = off

    static PresetsSettings read(const Config& config);
};

} // namespace comfygate::presets
