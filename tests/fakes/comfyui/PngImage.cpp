#include "PngImage.h"

#include <Poco/Checksum.h>
#include <Poco/DeflatingStream.h>
#include <Poco/Exception.h>

#include <sstream>

namespace comfygate::fakes {

namespace {

const std::string signature("\x89PNG\r\n\x1a\n", 8);

void putUint32(std::string& out, std::uint32_t value)
{
    out += static_cast<char>((value >> 24) & 0xff);
    out += static_cast<char>((value >> 16) & 0xff);
    out += static_cast<char>((value >> 8) & 0xff);
    out += static_cast<char>(value & 0xff);
}

std::uint32_t getUint32(const std::string& in, std::size_t at)
{
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(in[at])) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(in[at + 1])) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(in[at + 2])) << 8) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(in[at + 3]));
}

std::uint32_t crcOf(const std::string& typeAndData)
{
    Poco::Checksum crc(Poco::Checksum::TYPE_CRC32);
    crc.update(typeAndData.data(), static_cast<unsigned>(typeAndData.size()));
    return crc.checksum();
}

void putChunk(std::string& out, const std::string& type, const std::string& data)
{
    putUint32(out, static_cast<std::uint32_t>(data.size()));
    const std::string typeAndData = type + data;
    out += typeAndData;
    putUint32(out, crcOf(typeAndData));
}

} // namespace

std::string PngImage::encode(unsigned width, unsigned height, const std::map<std::string, std::string>& textChunks)
{
    std::string png = signature;
    std::string header;
    putUint32(header, width);
    putUint32(header, height);
    header += std::string("\x08\x02\x00\x00\x00", 5); // 8-bit RGB, deflate, no filter, no interlace
    putChunk(png, "IHDR", header);
    for (const auto& [keyword, text] : textChunks) putChunk(png, "tEXt", keyword + std::string(1, '\0') + text);

    std::ostringstream compressed;
    {
        Poco::DeflatingOutputStream deflate(compressed, Poco::DeflatingStreamBuf::STREAM_ZLIB);
        std::string row;
        for (unsigned y = 0; y < height; ++y) {
            row.assign(1, '\0');
            for (unsigned x = 0; x < width; ++x) {
                row += static_cast<char>(width ? x * 255 / width : 0);
                row += static_cast<char>(height ? y * 255 / height : 0);
                row += static_cast<char>(128);
            }
            deflate.write(row.data(), static_cast<std::streamsize>(row.size()));
        }
        deflate.close();
    }
    putChunk(png, "IDAT", compressed.str());
    putChunk(png, "IEND", "");
    return png;
}

std::map<std::string, std::string> PngImage::readText(const std::string& png)
{
    if (png.compare(0, signature.size(), signature) != 0) throw Poco::DataFormatException("not a PNG");
    std::map<std::string, std::string> chunks;
    std::size_t at = signature.size();
    while (at + 12 <= png.size()) {
        const std::uint32_t length = getUint32(png, at);
        if (at + 12 + length > png.size()) throw Poco::DataFormatException("truncated PNG chunk");
        const std::string typeAndData = png.substr(at + 4, 4 + length);
        if (crcOf(typeAndData) != getUint32(png, at + 8 + length)) throw Poco::DataFormatException("bad PNG chunk CRC");
        const std::string type = typeAndData.substr(0, 4);
        if (type == "tEXt") {
            const std::string data = typeAndData.substr(4);
            const auto nul = data.find('\0');
            if (nul != std::string::npos) chunks[data.substr(0, nul)] = data.substr(nul + 1);
        }
        if (type == "IEND") break;
        at += 12 + length;
    }
    return chunks;
}

} // namespace comfygate::fakes
