#include "JpegDecoder.h"

#include "JpegErrorTrap.h"
#include "PreviewImageError.h"

#include <algorithm>

namespace comfygate::presets {
namespace {

enum class ReadOutcome
{
    Decoded,
    Failed,
    Damaged,
    TooLarge
};

/// The libjpeg part, with setjmp: everything with a destructor lives in the caller's frame.
ReadOutcome readPixels(const std::string& bytes, std::uint64_t maxPixels, unsigned wantedSide, RasterImage& raster,
                       JpegErrorTrap& trap)
{
    jpeg_decompress_struct info;
    info.err = trap.install();
    if (setjmp(trap.jump)) {
        jpeg_destroy_decompress(&info);
        return ReadOutcome::Failed;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&info, TRUE);
    raster.width = info.image_width;
    raster.height = info.image_height;
    if (static_cast<std::uint64_t>(info.image_width) * info.image_height > maxPixels) {
        jpeg_destroy_decompress(&info);
        return ReadOutcome::TooLarge;
    }
    info.out_color_space = JCS_RGB;
    const unsigned longest = std::max(info.image_width, info.image_height);
    info.scale_num = 1;
    info.scale_denom = 1;
    for (unsigned denominator : {8u, 4u, 2u})
        if (longest / denominator >= wantedSide) {
            info.scale_denom = denominator;
            break;
        }
    jpeg_start_decompress(&info);
    raster.width = info.output_width;
    raster.height = info.output_height;
    raster.rgb.resize(static_cast<std::size_t>(raster.width) * raster.height * 3);
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = &raster.rgb[static_cast<std::size_t>(info.output_scanline) * raster.width * 3];
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    const bool damaged = info.err->num_warnings > 0;
    jpeg_destroy_decompress(&info);
    return damaged ? ReadOutcome::Damaged : ReadOutcome::Decoded;
}

} // namespace

bool JpegDecoder::looksLikeJpeg(const std::string& bytes)
{
    return bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
           static_cast<unsigned char>(bytes[1]) == 0xD8 && static_cast<unsigned char>(bytes[2]) == 0xFF;
}

RasterImage JpegDecoder::decode(const std::string& bytes, std::uint64_t maxPixels, unsigned wantedSide)
{
    RasterImage raster;
    JpegErrorTrap trap;
    switch (readPixels(bytes, maxPixels, wantedSide, raster, trap)) {
    case ReadOutcome::Decoded:
        return raster;
    case ReadOutcome::TooLarge:
        throw PreviewImageError("The preview image is too large (" + std::to_string(raster.width) + "x" +
                                std::to_string(raster.height) + " pixels).");
    case ReadOutcome::Damaged:
        throw PreviewImageError(std::string("The preview image is a damaged JPEG (") + trap.message + ").");
    case ReadOutcome::Failed:
        break;
    }
    throw PreviewImageError(std::string("The preview image is not a readable JPEG (") + trap.message + ").");
}

std::string JpegDecoder::comment(const std::string& bytes)
{
    // Walk the marker segments up to the first scan; COM is FF FE with a 2-byte length.
    std::string text;
    std::size_t at = 2;
    while (at + 4 <= bytes.size() && static_cast<unsigned char>(bytes[at]) == 0xFF) {
        const auto marker = static_cast<unsigned char>(bytes[at + 1]);
        const std::size_t length =
            (static_cast<unsigned char>(bytes[at + 2]) << 8) | static_cast<unsigned char>(bytes[at + 3]);
        if (marker == 0xDA || length < 2 || at + 2 + length > bytes.size())
            break;
        if (marker == 0xFE)
            text += bytes.substr(at + 4, length - 2);
        at += 2 + length;
    }
    return text;
}

} // namespace comfygate::presets
