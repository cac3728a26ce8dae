#include "PresetsSettings.h"

#include "comfygate/Config.h"

#include <stdexcept>
#include <string>

namespace comfygate::presets {
namespace {

long long within(const Config& config, const std::string& key, long long fallback, long long minimum, long long maximum)
{
    const long long value = config.getInt(key, fallback);
    if (value < minimum || value > maximum)
        throw std::invalid_argument("configuration key " + key + ": " + std::to_string(value) + " must be between " +
                                    std::to_string(minimum) + " and " + std::to_string(maximum));
    return value;
}

} // namespace

PresetsSettings PresetsSettings::read(const Config& config)
{
    constexpr long long huge = 1LL << 40;
    PresetsSettings settings;
    PreviewLimits& preview = settings.limits.preview;
    preview.maxDataUrlBytes =
        static_cast<std::size_t>(within(config, "presets.preview_max_bytes", 16 << 20, 1024, 1LL << 30));
    preview.maxPixels = static_cast<std::uint64_t>(within(config, "presets.preview_max_pixels", 40'000'000, 1, huge));
    preview.maxSide = static_cast<unsigned>(within(config, "presets.preview_max_side", 256, 16, 4096));
    preview.jpegQuality = static_cast<int>(within(config, "presets.preview_jpeg_quality", 85, 1, 100));
    settings.limits.maxParamEntries =
        static_cast<std::size_t>(within(config, "presets.max_param_entries", 2000, 1, huge));
    settings.maxPresetsPerUser = static_cast<std::size_t>(within(config, "presets.max_per_user", 1000, 1, huge));
    settings.userDocumentMaxBytes =
        static_cast<std::size_t>(within(config, "presets.user_document_max_bytes", 1 << 20, 1024, 1LL << 30));
    settings.orphanSweepMinutes = within(config, "presets.orphan_sweep_minutes", 60, 0, 10080);
    return settings;
}

} // namespace comfygate::presets
