#include "UserDataName.h"

namespace comfygate::userdata {
namespace {

constexpr std::size_t maxNameBytes = 1024;
constexpr std::size_t maxSegmentBytes = 255;

} // namespace

UserDataName::Verdict UserDataName::check(const std::string& name, bool allowRoot)
{
    if (name.empty())
        return allowRoot ? Verdict::Valid : Verdict::Invalid;
    if (name.front() == '/')
        return Verdict::OutsideRoot;
    if (name.size() > maxNameBytes)
        return Verdict::Invalid;
    bool outside = false;
    bool invalid = false;
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t end = name.find('/', start);
        if (end == std::string::npos)
            end = name.size();
        const std::string segment = name.substr(start, end - start);
        if (segment == "..")
            outside = true;
        else if (segment.empty() || segment == "." || segment.size() > maxSegmentBytes)
            invalid = true;
        for (unsigned char c : segment)
            if (c < 0x20 || c == 0x7f || c == '\\')
                invalid = true;
        start = end + 1;
    }
    // A traversal attempt is reported as such even when the name is also malformed otherwise.
    if (outside)
        return Verdict::OutsideRoot;
    return invalid ? Verdict::Invalid : Verdict::Valid;
}

std::string UserDataName::trimmed(const std::string& name)
{
    std::string out = name;
    while (!out.empty() && out.back() == '/')
        out.pop_back();
    return out;
}

std::string UserDataName::baseName(const std::string& name)
{
    const std::size_t slash = name.rfind('/');
    return slash == std::string::npos ? name : name.substr(slash + 1);
}

bool UserDataName::isBelow(const std::string& path, const std::string& directory)
{
    if (directory.empty())
        return true;
    return path.size() > directory.size() && path.compare(0, directory.size(), directory) == 0 &&
           path[directory.size()] == '/';
}

} // namespace comfygate::userdata
