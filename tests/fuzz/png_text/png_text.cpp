// Output images as ComfyUI (or anyone able to write into its output folder) stores them: the
// text chunks (tEXt, zTXt, iTXt) PngText reads before /view serves a PNG, both over bytes in
// memory and streamed (the head it keeps must be exactly the bytes it read).
#include "PngText.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    constexpr std::size_t limit = 64 * 1024; // small, so the inflate limit is reached too
    comfygate::comfyproxy::PngText::hasSignature(bytes);
    const auto parsed = comfygate::comfyproxy::PngText::parse(bytes, limit);

    std::istringstream in(bytes);
    std::string head;
    const auto streamed = comfygate::comfyproxy::PngText::read(in, head, limit);
    // What was read is kept for the client: it must be a prefix of the file, never more or altered.
    if (head.size() > bytes.size() || bytes.compare(0, head.size(), head) != 0)
        std::abort();
    if (streamed != parsed)
        std::abort();
    return 0;
}
