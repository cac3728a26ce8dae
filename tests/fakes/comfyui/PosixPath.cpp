#include "PosixPath.h"

#include <vector>

namespace comfygate::fakes {

std::string PosixPath::normalise(const std::string& path)
{
    if (path.empty()) return ".";
    const bool absolute = path.front() == '/';
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        const std::string part = path.substr(start, slash - start);
        start = slash + 1;
        if (part.empty() || part == ".") continue;
        if (part == ".." && !parts.empty() && parts.back() != "..") {
            parts.pop_back();
            continue;
        }
        if (part == ".." && absolute) continue;
        parts.push_back(part);
    }
    std::string out = absolute ? "/" : "";
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
    return out.empty() ? "." : out;
}

std::string PosixPath::join(const std::string& a, const std::string& b)
{
    if (!b.empty() && b.front() == '/') return b;
    if (a.empty() || a.back() == '/') return a + b;
    return a + "/" + b;
}

bool PosixPath::inside(const std::string& base, const std::string& path)
{
    return path == base || path.rfind(base + "/", 0) == 0;
}

} // namespace comfygate::fakes
