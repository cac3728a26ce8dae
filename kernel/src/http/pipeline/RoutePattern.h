#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace comfygate {

/// A compiled route pattern such as `/userdata/{file}` or `/files/{path...}`. Matching works
/// on the raw (still percent-encoded) path split at '/', and decodes each segment on its own,
/// so `%2F` stays inside one parameter.
class RoutePattern
{
public:
    /// Throws std::invalid_argument for a malformed pattern.
    explicit RoutePattern(const std::string& pattern);

    const std::string& text() const { return _text; }
    /// The pattern with parameter names erased (`/a/{}`): two patterns with the same shape
    /// would answer the same paths.
    const std::string& shape() const { return _shape; }
    std::size_t literalCount() const { return _literals; }
    const std::vector<std::string>& parameterNames() const { return _names; }
    /// The literal a request path's first segment must equal ("" for `/`), or nothing when the
    /// pattern starts with a parameter: what the router indexes patterns by.
    std::optional<std::string> firstLiteral() const;

    /// Matches decoded segments; returns the parameters or nothing.
    std::optional<std::map<std::string, std::string>> match(const std::vector<std::string>& segments) const;

    /// Splits a raw request path into decoded segments. Returns nothing for a path that is
    /// not absolute, has a dot segment (`.`, `..`, also percent-encoded), a backslash or a NUL
    /// after decoding, or bad percent-encoding.
    static std::optional<std::vector<std::string>> splitPath(const std::string& rawPath);

private:
    struct Segment
    {
        std::string literal;
        std::string parameter;
        bool rest = false;
    };

    std::string _text;
    std::string _shape;
    std::vector<Segment> _segments;
    std::vector<std::string> _names;
    std::size_t _literals = 0;
};

} // namespace comfygate
