#pragma once

#include "RasterImage.h"

#include <cstdint>
#include <string>

namespace comfygate::presets {

/// Decodes a JPEG file to RGB with libjpeg(-turbo). Refuses an image declaring more than
/// `maxPixels` pixels before decoding it (decompression bombs) and a damaged or truncated one
/// (libjpeg would fill the missing part with grey and only warn), with PreviewImageError.
/// Large images are decoded at 1/2, 1/4 or 1/8 scale while the longest side stays at least
/// `wantedSide`, which costs a fraction of a full decode.
class JpegDecoder
{
public:
    static bool looksLikeJpeg(const std::string& bytes);
    static RasterImage decode(const std::string& bytes, std::uint64_t maxPixels, unsigned wantedSide);

    /// The text of the file's COM markers, joined (what JpegEncoder embedded); empty if none.
    static std::string comment(const std::string& bytes);
};

} // namespace comfygate::presets
