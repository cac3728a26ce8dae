#pragma once

#include <map>
#include <string>

namespace comfygate::fakes {

/// Minimal PNG writing and tEXt reading: what SaveImage produces and what a gateway reads.
class PngImage
{
public:
    /// A valid RGB PNG of the given size (a gradient) with one tEXt chunk per entry, in order.
    static std::string encode(unsigned width, unsigned height, const std::map<std::string, std::string>& textChunks);
    /// The tEXt chunks (keyword → text) of a PNG; throws Poco::DataFormatException when the
    /// signature or a chunk CRC is wrong.
    static std::map<std::string, std::string> readText(const std::string& png);
};

} // namespace comfygate::fakes
