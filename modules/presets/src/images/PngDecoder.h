#pragma once

#include "RasterImage.h"

#include <cstdint>
#include <string>

namespace comfygate::presets {

/// Decodes a PNG file to RGB with libpng's simplified API (no setjmp in our code); alpha is
/// composited onto white. Refuses an image declaring more than `maxPixels` pixels before any
/// pixel is decoded (decompression bombs), and a damaged or truncated file, with
/// PreviewImageError.
class PngDecoder
{
public:
    static bool looksLikePng(const std::string& bytes);
    static RasterImage decode(const std::string& bytes, std::uint64_t maxPixels);
};

} // namespace comfygate::presets
