#include "ReturnPath.h"

#include <algorithm>

namespace comfygate::auth {

std::string ReturnPath::from(const std::string& next)
{
    const bool local = next.size() <= 2048 && next.size() >= 1 && next[0] == '/' &&
                       (next.size() == 1 || next[1] != '/') && std::none_of(next.begin(), next.end(), [](char c) {
                           const auto byte = static_cast<unsigned char>(c);
                           return c == '\\' || byte < 0x20 || byte == 0x7f;
                       });
    return local ? next : std::string("/");
}

} // namespace comfygate::auth
