#include "JsonObjectText.h"

#include <Poco/JSONString.h>

#include <algorithm>

namespace comfygate::comfyproxy {

JsonObjectText::JsonObjectText(std::string_view text) : _text(text), _members(JsonMembers::of(text)) {}

const JsonMembers::Member* JsonObjectText::last(const std::string& key) const
{
    for (auto it = _members.rbegin(); it != _members.rend(); ++it) {
        if (it->key == key)
            return &*it;
    }
    return nullptr;
}

std::optional<std::string_view> JsonObjectText::value(const std::string& key) const
{
    if (const auto* member = last(key))
        return member->value;
    return std::nullopt;
}

void JsonObjectText::set(const std::string& key, std::string json)
{
    if (!last(key) && !_changes.count(key))
        _added.push_back(key);
    _changes[key] = std::move(json);
}

std::string JsonObjectText::render() const
{
    // The replaced values, in the order they occur in the text.
    std::vector<std::pair<std::string_view, const std::string*>> replaced;
    for (const auto& [key, json] : _changes) {
        if (const auto* member = last(key))
            replaced.emplace_back(member->value, &json);
    }
    std::sort(replaced.begin(), replaced.end(),
              [](const auto& a, const auto& b) { return a.first.data() < b.first.data(); });

    std::string out;
    out.reserve(_text.size() + 64 * _changes.size());
    const char* from = _text.data();
    for (const auto& [value, json] : replaced) {
        out.append(from, static_cast<std::size_t>(value.data() - from));
        out += *json;
        from = value.data() + value.size();
    }
    // Added members go before the closing brace (the last one: only whitespace may follow it).
    const char* close = _text.data() + _text.rfind('}');
    out.append(from, static_cast<std::size_t>(close - from));
    bool first = _members.empty();
    for (const auto& key : _added) {
        if (!first)
            out += ',';
        first = false;
        out += quote(key);
        out += ':';
        out += _changes.at(key);
    }
    out.append(close, static_cast<std::size_t>(_text.data() + _text.size() - close));
    return out;
}

std::string JsonObjectText::quote(const std::string& value)
{
    return Poco::toJSON(value, Poco::JSON_WRAP_STRINGS);
}

} // namespace comfygate::comfyproxy
