#pragma once

#include <cstddef>
#include <istream>
#include <map>
#include <string>

namespace comfygate::comfyproxy {

/// The text chunks (tEXt, zTXt, iTXt) at the start of a PNG, read from a stream that is then
/// passed on: everything read is kept, so the caller sends it before the rest of the stream.
/// Reading stops at the first IDAT or IEND (ComfyUI writes its `prompt` and `workflow` chunks
/// before the image data), at the byte limit, or at the first malformed chunk.
class PngText
{
public:
    static constexpr std::size_t defaultLimit = 4 * 1024 * 1024;

    /// True when the bytes start with the PNG signature.
    static bool hasSignature(const std::string& bytes);

    /// Reads from `in`, appending every byte read to `head` (which may already hold the first
    /// bytes), and returns the text chunks found (keyword → text). A compressed chunk that
    /// inflates beyond `limit` is skipped.
    static std::map<std::string, std::string> read(std::istream& in, std::string& head,
                                                   std::size_t limit = defaultLimit);

    /// The same over bytes already in memory.
    static std::map<std::string, std::string> parse(const std::string& bytes, std::size_t limit = defaultLimit);
};

} // namespace comfygate::comfyproxy
