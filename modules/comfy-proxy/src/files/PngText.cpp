#include "PngText.h"

#include <Poco/InflatingStream.h>

#include <sstream>

namespace comfygate::comfyproxy {
namespace {

const std::string signature("\x89PNG\r\n\x1a\n", 8);

/// Appends up to `count` bytes of `in` to `head` until `head` holds `size` bytes; false at EOF.
bool fill(std::istream& in, std::string& head, std::size_t size)
{
    if (head.size() >= size)
        return true;
    const std::size_t missing = size - head.size();
    const std::size_t start = head.size();
    head.resize(size);
    in.read(&head[start], static_cast<std::streamsize>(missing));
    const auto got = static_cast<std::size_t>(in.gcount());
    head.resize(start + got);
    return got == missing;
}

std::uint32_t bigEndian(const std::string& bytes, std::size_t at)
{
    return (std::uint32_t(static_cast<unsigned char>(bytes[at])) << 24) |
           (std::uint32_t(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (std::uint32_t(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           std::uint32_t(static_cast<unsigned char>(bytes[at + 3]));
}

/// zlib data inflated, or nothing when it is corrupt or larger than `limit`.
bool inflate(const std::string& compressed, std::size_t limit, std::string& out)
{
    try {
        std::istringstream source(compressed);
        Poco::InflatingInputStream inflater(source, Poco::InflatingStreamBuf::STREAM_ZLIB);
        char buffer[16384];
        while (inflater) {
            inflater.read(buffer, sizeof buffer);
            out.append(buffer, static_cast<std::size_t>(inflater.gcount()));
            if (out.size() > limit)
                return false;
        }
        return !inflater.bad(); // istream turns the inflater's exception on corrupt data into badbit
    } catch (...) {
        return false;
    }
}

/// One text chunk's keyword and text; false for a malformed or oversized one.
bool decodeChunk(const std::string& type, const std::string& data, std::size_t limit, std::string& keyword,
                 std::string& text)
{
    const auto nul = data.find('\0');
    if (nul == std::string::npos || nul == 0)
        return false;
    keyword = data.substr(0, nul);
    if (type == "tEXt") {
        text = data.substr(nul + 1);
        return true;
    }
    if (type == "zTXt")
        return data.size() > nul + 2 && inflate(data.substr(nul + 2), limit, text);
    // iTXt: keyword \0 compression-flag method language \0 translated-keyword \0 text
    if (data.size() < nul + 3)
        return false;
    const bool compressed = data[nul + 1] != 0;
    const auto language = data.find('\0', nul + 3);
    const auto translated = language == std::string::npos ? language : data.find('\0', language + 1);
    if (translated == std::string::npos)
        return false;
    const std::string payload = data.substr(translated + 1);
    if (!compressed) {
        text = payload;
        return true;
    }
    return inflate(payload, limit, text);
}

} // namespace

bool PngText::hasSignature(const std::string& bytes)
{
    return bytes.compare(0, signature.size(), signature) == 0;
}

std::map<std::string, std::string> PngText::read(std::istream& in, std::string& head, std::size_t limit)
{
    std::map<std::string, std::string> texts;
    if (!fill(in, head, signature.size()) || !hasSignature(head))
        return texts;
    std::size_t at = signature.size();
    while (fill(in, head, at + 8)) {
        const std::uint32_t length = bigEndian(head, at);
        const std::string type = head.substr(at + 4, 4);
        if (type == "IDAT" || type == "IEND")
            break;
        const std::size_t end = at + 8 + std::size_t(length) + 4; // data and CRC
        if (end > limit || !fill(in, head, end))
            break;
        if (type == "tEXt" || type == "zTXt" || type == "iTXt") {
            std::string keyword, text;
            if (decodeChunk(type, head.substr(at + 8, length), limit, keyword, text))
                texts.emplace(std::move(keyword), std::move(text));
        }
        at = end;
    }
    return texts;
}

std::map<std::string, std::string> PngText::parse(const std::string& bytes, std::size_t limit)
{
    std::istringstream in(bytes);
    std::string head;
    return read(in, head, limit);
}

} // namespace comfygate::comfyproxy
