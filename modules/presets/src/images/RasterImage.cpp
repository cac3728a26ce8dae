#include "RasterImage.h"

#include <algorithm>
#include <cmath>

namespace comfygate::presets {

RasterImage RasterImage::scaledToFit(unsigned maxSide) const
{
    const unsigned longest = std::max(width, height);
    if (longest <= maxSide || longest == 0)
        return *this;
    const double factor = static_cast<double>(maxSide) / longest;
    RasterImage scaled;
    scaled.width = std::max(1u, static_cast<unsigned>(std::lround(width * factor)));
    scaled.height = std::max(1u, static_cast<unsigned>(std::lround(height * factor)));
    scaled.width = std::min(scaled.width, maxSide);
    scaled.height = std::min(scaled.height, maxSide);
    scaled.rgb.resize(static_cast<std::size_t>(scaled.width) * scaled.height * 3);

    for (unsigned y = 0; y < scaled.height; ++y) {
        const std::uint64_t top = static_cast<std::uint64_t>(y) * height / scaled.height;
        const std::uint64_t bottom =
            std::max<std::uint64_t>(top + 1, static_cast<std::uint64_t>(y + 1) * height / scaled.height);
        for (unsigned x = 0; x < scaled.width; ++x) {
            const std::uint64_t left = static_cast<std::uint64_t>(x) * width / scaled.width;
            const std::uint64_t right =
                std::max<std::uint64_t>(left + 1, static_cast<std::uint64_t>(x + 1) * width / scaled.width);
            std::uint64_t sum[3] = {0, 0, 0};
            for (std::uint64_t sy = top; sy < bottom; ++sy) {
                const unsigned char* row = &rgb[(sy * width + left) * 3];
                for (std::uint64_t sx = left; sx < right; ++sx, row += 3)
                    for (int c = 0; c < 3; ++c)
                        sum[c] += row[c];
            }
            const std::uint64_t count = (bottom - top) * (right - left);
            unsigned char* out = &scaled.rgb[(static_cast<std::size_t>(y) * scaled.width + x) * 3];
            for (int c = 0; c < 3; ++c)
                out[c] = static_cast<unsigned char>((sum[c] + count / 2) / count);
        }
    }
    return scaled;
}

} // namespace comfygate::presets
