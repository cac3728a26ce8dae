#include "RoutePattern.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <algorithm>
#include <stdexcept>

namespace comfygate {
namespace {

bool isParameterName(const std::string& name)
{
    if (name.empty())
        return false;
    for (char c : name) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
            return false;
    }
    return true;
}

std::vector<std::string> splitRaw(const std::string& path)
{
    std::vector<std::string> parts;
    std::string::size_type start = 1;
    while (true) {
        const auto slash = path.find('/', start);
        parts.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
        if (slash == std::string::npos)
            break;
        start = slash + 1;
    }
    return parts;
}

} // namespace

RoutePattern::RoutePattern(const std::string& pattern) : _text(pattern)
{
    if (pattern.empty() || pattern[0] != '/')
        throw std::invalid_argument("route pattern '" + pattern + "' must start with '/'");
    if (pattern == "/") {
        _shape.assign(1, '/'); // assign(const char*) trips a GCC 12 -Wrestrict false positive
        return;
    }
    const auto parts = splitRaw(pattern);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string& part = parts[i];
        Segment segment;
        if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
            std::string name = part.substr(1, part.size() - 2);
            if (name.size() > 3 && name.compare(name.size() - 3, 3, "...") == 0) {
                if (i + 1 != parts.size())
                    throw std::invalid_argument("route pattern '" + pattern + "': {" + name +
                                                "} must be the last segment");
                name.resize(name.size() - 3);
                segment.rest = true;
            }
            if (!isParameterName(name))
                throw std::invalid_argument("route pattern '" + pattern + "': bad parameter name '" +
                                            name + "'");
            if (std::find(_names.begin(), _names.end(), name) != _names.end())
                throw std::invalid_argument("route pattern '" + pattern + "': parameter '" + name +
                                            "' appears twice");
            segment.parameter = name;
            _names.push_back(name);
            _shape += segment.rest ? "/{...}" : "/{}";
        } else {
            if (part.find_first_of("{}") != std::string::npos || part == "." || part == "..")
                throw std::invalid_argument("route pattern '" + pattern + "': bad segment '" + part + "'");
            segment.literal = part;
            ++_literals;
            _shape += "/" + part;
        }
        _segments.push_back(std::move(segment));
    }
}

std::optional<std::string> RoutePattern::firstLiteral() const
{
    if (_segments.empty())
        return std::string(); // "/" splits into one empty segment
    if (!_segments.front().parameter.empty())
        return std::nullopt;
    return _segments.front().literal;
}

std::optional<std::map<std::string, std::string>>
RoutePattern::match(const std::vector<std::string>& segments) const
{
    std::map<std::string, std::string> params;
    if (_segments.empty())
        return segments.size() == 1 && segments[0].empty() ? std::optional(params) : std::nullopt;
    std::size_t i = 0;
    for (; i < _segments.size(); ++i) {
        const Segment& segment = _segments[i];
        if (segment.rest) {
            if (i >= segments.size() || segments[i].empty())
                return std::nullopt;
            std::string rest = segments[i];
            for (std::size_t j = i + 1; j < segments.size(); ++j)
                rest += "/" + segments[j];
            params[segment.parameter] = rest;
            return params;
        }
        if (i >= segments.size())
            return std::nullopt;
        if (!segment.parameter.empty()) {
            if (segments[i].empty())
                return std::nullopt;
            params[segment.parameter] = segments[i];
        } else if (segment.literal != segments[i]) {
            return std::nullopt;
        }
    }
    if (i != segments.size())
        return std::nullopt;
    return params;
}

std::optional<std::vector<std::string>> RoutePattern::splitPath(const std::string& rawPath)
{
    if (rawPath.empty() || rawPath[0] != '/')
        return std::nullopt;
    std::vector<std::string> segments;
    for (const auto& raw : splitRaw(rawPath)) {
        std::string decoded;
        try {
            Poco::URI::decode(raw, decoded, false);
        } catch (const Poco::Exception&) {
            return std::nullopt;
        }
        if (decoded.find('\\') != std::string::npos || decoded.find('\0') != std::string::npos)
            return std::nullopt;
        // A %2F keeps its slash inside the parameter, so dot segments are refused inside
        // decoded segments too ("..%2Fetc" never reaches a handler).
        for (const auto& piece : splitRaw("/" + decoded)) {
            if (piece == "." || piece == "..")
                return std::nullopt;
        }
        segments.push_back(std::move(decoded));
    }
    return segments;
}

} // namespace comfygate
