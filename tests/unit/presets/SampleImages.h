#pragma once
// Images the presets suites send as previews, made in memory: PNGs with libpng's simplified
// writer, JPEGs with the module's own encoder, and data URLs of any bytes.
#include "JpegEncoder.h"
#include "RasterImage.h"

#include <Poco/Base64Encoder.h>

#include <png.h>

#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate::test::presets {

/// A width x height gradient, so scaling and re-encoding have something to average.
inline comfygate::presets::RasterImage gradient(unsigned width, unsigned height)
{
    comfygate::presets::RasterImage image;
    image.width = width;
    image.height = height;
    image.rgb.resize(static_cast<std::size_t>(width) * height * 3);
    for (unsigned y = 0; y < height; ++y)
        for (unsigned x = 0; x < width; ++x) {
            unsigned char* pixel = &image.rgb[(static_cast<std::size_t>(y) * width + x) * 3];
            pixel[0] = static_cast<unsigned char>(x * 255 / (width > 1 ? width - 1 : 1));
            pixel[1] = static_cast<unsigned char>(y * 255 / (height > 1 ? height - 1 : 1));
            pixel[2] = 128;
        }
    return image;
}

/// A PNG of `pixels` (rows of `format`'s samples, e.g. PNG_FORMAT_RGBA or PNG_FORMAT_GRAY).
inline std::string pngOf(unsigned width, unsigned height, unsigned format, const std::vector<unsigned char>& pixels)
{
    png_image png;
    std::memset(&png, 0, sizeof png);
    png.version = PNG_IMAGE_VERSION;
    png.width = width;
    png.height = height;
    png.format = format;
    png_alloc_size_t size = 0;
    if (!png_image_write_to_memory(&png, nullptr, &size, 0, pixels.data(), 0, nullptr))
        throw std::runtime_error(std::string("png size: ") + png.message);
    std::string bytes(size, '\0');
    if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, pixels.data(), 0, nullptr))
        throw std::runtime_error(std::string("png write: ") + png.message);
    bytes.resize(size);
    return bytes;
}

inline std::string pngFile(unsigned width, unsigned height)
{
    return pngOf(width, height, PNG_FORMAT_RGB, gradient(width, height).rgb);
}

inline std::string jpegFile(unsigned width, unsigned height)
{
    return comfygate::presets::JpegEncoder::encode(gradient(width, height), 90, "");
}

/// PNG's chunk CRC (CRC-32, the zlib polynomial), bit by bit: the suites need it for a few bytes.
inline unsigned long chunkCrc(const unsigned char* data, std::size_t size)
{
    unsigned long crc = 0xFFFFFFFFul;
    for (std::size_t i = 0; i < size; ++i) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ (0xEDB88320ul & (0ul - (crc & 1)));
    }
    return crc ^ 0xFFFFFFFFul;
}

/// A PNG that declares width x height in its header but holds no pixel data: what a
/// decompression bomb looks like before anything is decoded (the CRC is right).
inline std::string pngHeaderOnly(unsigned width, unsigned height)
{
    std::string png = pngFile(2, 2);
    // IHDR data starts at byte 16: width and height, big-endian; the chunk CRC follows at 29.
    for (int i = 0; i < 4; ++i) {
        png[16 + i] = static_cast<char>((width >> (24 - 8 * i)) & 0xFF);
        png[20 + i] = static_cast<char>((height >> (24 - 8 * i)) & 0xFF);
    }
    const unsigned long crc = chunkCrc(reinterpret_cast<const unsigned char*>(png.data() + 12), 17);
    for (int i = 0; i < 4; ++i)
        png[29 + i] = static_cast<char>((crc >> (24 - 8 * i)) & 0xFF);
    return png;
}

inline std::string dataUrl(const std::string& mime, const std::string& bytes)
{
    std::ostringstream out;
    out << "data:" << mime << ";base64,";
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

} // namespace comfygate::test::presets
