#pragma once

#include <cstdint>
#include <vector>

namespace comfygate::presets {

/// Decoded pixels: 8-bit RGB, rows top to bottom, no padding.
struct RasterImage
{
    unsigned width = 0;
    unsigned height = 0;
    std::vector<unsigned char> rgb;

    /// A copy whose longest side is at most `maxSide`, aspect ratio kept (each target pixel
    /// the average of the source pixels it covers); the image itself when it already fits.
    RasterImage scaledToFit(unsigned maxSide) const;
};

} // namespace comfygate::presets
