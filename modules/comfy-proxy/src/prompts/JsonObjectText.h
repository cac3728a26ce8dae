#pragma once

#include "JsonMembers.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace comfygate::comfyproxy {

/// A JSON object text with some members' values replaced or added, every other byte kept as
/// written: for passing a client's body on with only the members the gateway sets changed,
/// instead of parsing and writing all of it again. A key that occurs more than once is read
/// and replaced at its last occurrence, the one JSON parsers keep (Poco's and Python's alike).
class JsonObjectText
{
public:
    /// `text` must outlive this object; throws JsonMembers::Malformed when it is not one JSON object.
    explicit JsonObjectText(std::string_view text);

    /// The value of `key` as written (its last occurrence), if the object has it.
    std::optional<std::string_view> value(const std::string& key) const;

    /// Replaces the value of `key` with `json` (a JSON value text), or adds the member at the end.
    void set(const std::string& key, std::string json);

    /// The object with the changes.
    std::string render() const;

    /// `value` as a JSON string literal.
    static std::string quote(const std::string& value);

private:
    const JsonMembers::Member* last(const std::string& key) const;

    std::string_view _text;
    std::vector<JsonMembers::Member> _members;
    std::map<std::string, std::string> _changes; ///< key → its new value text
    std::vector<std::string> _added;             ///< keys not in the text, in the order they were set
};

} // namespace comfygate::comfyproxy
