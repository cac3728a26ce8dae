#include "JpegEncoder.h"

#include "JpegErrorTrap.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace comfygate::presets {
namespace {

/// The libjpeg part, with setjmp: everything with a destructor lives in the caller's frame.
bool writeJpeg(const RasterImage& image, int quality, const std::string& comment, unsigned char** buffer,
               unsigned long* size, JpegErrorTrap& trap)
{
    jpeg_compress_struct info;
    info.err = trap.install();
    if (setjmp(trap.jump)) {
        jpeg_destroy_compress(&info);
        return false;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, buffer, size);
    info.image_width = image.width;
    info.image_height = image.height;
    info.input_components = 3;
    info.in_color_space = JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    constexpr std::size_t markerCapacity = 65533; // a segment length is 16 bits, including itself
    for (std::size_t at = 0; at < comment.size(); at += markerCapacity) {
        const std::size_t length = std::min(markerCapacity, comment.size() - at);
        jpeg_write_marker(&info, JPEG_COM, reinterpret_cast<const JOCTET*>(comment.data() + at),
                          static_cast<unsigned>(length));
    }
    while (info.next_scanline < info.image_height) {
        auto* row = const_cast<JSAMPROW>(&image.rgb[static_cast<std::size_t>(info.next_scanline) * image.width * 3]);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    return true;
}

} // namespace

std::string JpegEncoder::encode(const RasterImage& image, int quality, const std::string& comment)
{
    if (image.width == 0 || image.height == 0 ||
        image.rgb.size() != static_cast<std::size_t>(image.width) * image.height * 3)
        throw std::invalid_argument("JpegEncoder: the image has no pixels or a wrong buffer size");
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    JpegErrorTrap trap;
    const bool written = writeJpeg(image, quality, comment, &buffer, &size, trap);
    std::string jpeg;
    if (written)
        jpeg.assign(reinterpret_cast<const char*>(buffer), size);
    std::free(buffer);
    if (!written)
        throw std::runtime_error(std::string("JPEG encoding failed: ") + trap.message);
    return jpeg;
}

} // namespace comfygate::presets
