#include "UserDataRequestPath.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <vector>

namespace comfygate::userdata {
namespace {

const std::string routeSegment = "/userdata/";

std::vector<std::string> splitSegments(const std::string& path)
{
    std::vector<std::string> segments;
    std::string::size_type start = 0;
    while (true) {
        const auto slash = path.find('/', start);
        segments.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
        if (slash == std::string::npos)
            return segments;
        start = slash + 1;
    }
}

std::string joinDecoded(const std::vector<std::string>& segments, std::size_t from, std::size_t to)
{
    std::string joined;
    for (std::size_t i = from; i < to; ++i)
        joined += (i == from ? "" : "/") + UserDataRequestPath::decode(segments[i]);
    return joined;
}

} // namespace

std::string UserDataRequestPath::decode(const std::string& raw)
{
    std::string value = raw;
    // Three rounds cover every double encoding a client sends by mistake; the name checks
    // after this see what ComfyUI would have opened.
    for (int round = 0; round < 3 && value.find('%') != std::string::npos; ++round) {
        std::string decoded;
        try {
            Poco::URI::decode(value, decoded);
        } catch (const Poco::Exception&) {
            break;
        }
        if (decoded == value)
            break;
        value = decoded;
    }
    return value;
}

UserDataRequestPath UserDataRequestPath::parse(const std::string& uri, bool allowMove)
{
    const std::string path = uri.substr(0, uri.find('?'));
    const auto at = path.find(routeSegment);
    if (at == std::string::npos)
        return {};
    const auto segments = splitSegments(path.substr(at + routeSegment.size()));
    UserDataRequestPath out;
    if (allowMove) {
        for (std::size_t i = 1; i + 1 < segments.size(); ++i) {
            if (segments[i] == "move") {
                out.file = joinDecoded(segments, 0, i);
                out.destination = joinDecoded(segments, i + 1, segments.size());
                return out;
            }
        }
    }
    out.file = joinDecoded(segments, 0, segments.size());
    return out;
}

} // namespace comfygate::userdata
