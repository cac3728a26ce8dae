// Request paths as a client sends them (still percent-encoded): RoutePattern::splitPath
// decodes and confines them, then they are matched against patterns of the shapes the modules
// register. Besides crashes, the target checks the confinement the handlers rely on: no
// accepted segment or {rest...} parameter holds a dot segment, a backslash or a NUL.
#include "RoutePattern.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

const std::vector<comfygate::RoutePattern>& patterns()
{
    static const std::vector<comfygate::RoutePattern> all = {
        comfygate::RoutePattern("/"),
        comfygate::RoutePattern("/view"),
        comfygate::RoutePattern("/api/userdata/{file}"),
        comfygate::RoutePattern("/jobs/stats"),
        comfygate::RoutePattern("/jobs/{id}"),
        comfygate::RoutePattern("/files/{path...}"),
        comfygate::RoutePattern("/{first}/x/{second}"),
    };
    return all;
}

bool confined(const std::string& text)
{
    if (text.find('\\') != std::string::npos || text.find('\0') != std::string::npos)
        return false;
    std::size_t start = 0;
    while (true) {
        const auto slash = text.find('/', start);
        const std::string piece = text.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (piece == "." || piece == "..")
            return false;
        if (slash == std::string::npos)
            return true;
        start = slash + 1;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string path(reinterpret_cast<const char*>(data), size);
    const auto segments = comfygate::RoutePattern::splitPath(path);
    if (!segments)
        return 0;
    for (const auto& segment : *segments)
        if (!confined(segment))
            std::abort();
    for (const auto& pattern : patterns()) {
        const auto params = pattern.match(*segments);
        if (!params)
            continue;
        for (const auto& [name, value] : *params)
            if (value.empty() || !confined(value))
                std::abort();
    }
    return 0;
}
