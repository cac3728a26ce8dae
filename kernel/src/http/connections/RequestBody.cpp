#include "RequestBody.h"

namespace comfygate {

std::optional<std::string> RequestBody::read(std::istream& in, std::size_t limit)
{
    std::string text;
    char buffer[8192];
    while (in) {
        in.read(buffer, sizeof buffer);
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (text.size() > limit)
            return std::nullopt;
    }
    return text;
}

} // namespace comfygate
