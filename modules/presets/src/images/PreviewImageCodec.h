#pragma once

#include <cstdint>
#include <string>

namespace comfygate::presets {

/// The limits of preview images (etc/comfygate.properties, presets.preview_*).
struct PreviewLimits
{
    std::size_t maxDataUrlBytes = 16 * 1024 * 1024; ///< the data URL as sent, before decoding
    std::uint64_t maxPixels = 40'000'000;           ///< declared width x height, checked before decoding
    unsigned maxSide = 256;                         ///< the stored preview's longest side
    int jpegQuality = 85;
};

/// Turns a preview image as SwarmUI's web client sends it (`data:image/...;base64,...`) into
/// the small JPEG the server stores: the bytes must really be a PNG or JPEG (decoded, not just
/// sniffed: the declared type means nothing), are scaled down to PreviewLimits::maxSide and
/// re-encoded with the preset's metadata in a COM marker. Throws PreviewImageError with a
/// message for the user.
class PreviewImageCodec
{
public:
    explicit PreviewImageCodec(PreviewLimits limits) : _limits(limits) {}

    static bool isDataUrl(const std::string& value);

    std::string fromDataUrl(const std::string& dataUrl, const std::string& metadata) const;

    /// `data:image/jpeg;base64,...` of a stored preview, as ExportUserPresets answers it.
    static std::string toDataUrl(const std::string& jpeg);

    const PreviewLimits& limits() const { return _limits; }

private:
    static std::string decodeBase64(const std::string& text);

    PreviewLimits _limits;
};

} // namespace comfygate::presets
