#include "PngDecoder.h"

#include "PreviewImageError.h"

#include <png.h>

#include <cstring>

namespace comfygate::presets {

bool PngDecoder::looksLikePng(const std::string& bytes)
{
    return bytes.size() >= 8 && png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8) == 0;
}

RasterImage PngDecoder::decode(const std::string& bytes, std::uint64_t maxPixels)
{
    png_image image;
    std::memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
        throw PreviewImageError(std::string("The preview image is not a readable PNG (") + image.message + ").");
    if (static_cast<std::uint64_t>(image.width) * image.height > maxPixels) {
        png_image_free(&image);
        throw PreviewImageError("The preview image is too large (" + std::to_string(image.width) + "x" +
                                std::to_string(image.height) + " pixels).");
    }
    image.format = PNG_FORMAT_RGB;
    RasterImage raster;
    raster.width = image.width;
    raster.height = image.height;
    raster.rgb.assign(PNG_IMAGE_SIZE(image), 255);
    const png_color white{255, 255, 255};
    // finish_read frees the image's resources, also when it fails.
    if (!png_image_finish_read(&image, &white, raster.rgb.data(), 0, nullptr))
        throw PreviewImageError(std::string("The preview image is a damaged PNG (") + image.message + ").");
    return raster;
}

} // namespace comfygate::presets
