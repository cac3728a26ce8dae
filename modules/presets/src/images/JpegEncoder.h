#pragma once

#include "RasterImage.h"

#include <string>

namespace comfygate::presets {

/// Encodes RGB pixels as a baseline JPEG with libjpeg(-turbo), optionally with a text comment
/// in COM markers (split over several when longer than one marker holds).
class JpegEncoder
{
public:
    static std::string encode(const RasterImage& image, int quality, const std::string& comment);
};

} // namespace comfygate::presets
