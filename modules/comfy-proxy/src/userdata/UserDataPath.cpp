#include "UserDataPath.h"

#include <vector>

namespace comfygate::comfyproxy {
namespace {

const std::string routePrefix = "/userdata/";
const std::string encodedSlash = "%2F";

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

std::string joinEncoded(const std::vector<std::string>& segments, std::size_t from, std::size_t to)
{
    std::string joined;
    for (std::size_t i = from; i < to; ++i)
        joined += (i == from ? "" : encodedSlash) + segments[i];
    return joined;
}

} // namespace

std::string UserDataPath::upstreamUri(const std::string& uri, bool move)
{
    const auto queryStart = uri.find('?');
    const std::string path = uri.substr(0, queryStart);
    const std::string query = queryStart == std::string::npos ? std::string() : uri.substr(queryStart);
    const auto at = path.find(routePrefix);
    if (at == std::string::npos)
        return uri;
    const std::string head = path.substr(0, at + routePrefix.size());
    const auto segments = splitSegments(path.substr(head.size()));
    if (move) {
        for (std::size_t i = 1; i + 1 < segments.size(); ++i) {
            if (segments[i] == "move")
                return head + joinEncoded(segments, 0, i) + "/move/" + joinEncoded(segments, i + 1, segments.size()) +
                       query;
        }
    }
    return head + joinEncoded(segments, 0, segments.size()) + query;
}

} // namespace comfygate::comfyproxy
