#include "MeAnswer.h"

#include <Poco/JSONString.h>

#include <algorithm>

namespace comfygate::auth {
namespace {

/// Whether Poco::toJSON would change `value`: it escapes control characters, '"', '\\' and '/'.
bool needsEscaping(const std::string& value)
{
    return std::any_of(value.begin(), value.end(), [](char c) {
        return (c >= 0 && c <= 31) || c == '"' || c == '\\' || c == '/';
    });
}

void appendString(std::string& out, const std::string& value)
{
    // Names, roles and permission ids almost never need escaping; Poco::toJSON writes through
    // an ostream character by character (about 1 µs a string, a third of the route), so it
    // only sees the strings it would change.
    if (needsEscaping(value)) {
        out += Poco::toJSON(value, Poco::JSON_WRAP_STRINGS);
        return;
    }
    out += '"';
    out += value;
    out += '"';
}

void appendKey(std::string& out, const char* key)
{
    out += '"';
    out += key; // the keys below need no escaping
    out += "\":";
}

void appendBool(std::string& out, const char* key, bool value)
{
    appendKey(out, key);
    out += value ? "true," : "false,";
}

template <typename Strings>
void appendArray(std::string& out, const char* key, const Strings& values)
{
    appendKey(out, key);
    out += '[';
    bool first = true;
    for (const auto& value : values) {
        if (!first)
            out += ',';
        first = false;
        appendString(out, value);
    }
    out += "],";
}

} // namespace

MeAnswer::MeAnswer(std::vector<std::pair<std::string, bool>> experimentalFeatures)
{
    std::sort(experimentalFeatures.begin(), experimentalFeatures.end());
    std::string object;
    object += '{';
    for (const auto& [name, enabled] : experimentalFeatures) {
        if (object.size() > 1)
            object += ',';
        appendString(object, name);
        object += enabled ? ":true" : ":false";
    }
    object += '}';
    _experimental = std::move(object);
}

std::string MeAnswer::text(const Principal& principal, const std::vector<std::string>& groups,
                           const std::set<std::string>& permissions) const
{
    const bool signedIn = principal.authenticated;
    std::string out;
    out.reserve(512);
    out += '{';
    // Sorted by key, as Poco::JSON::Object wrote them.
    appendBool(out, "authenticated", signedIn);
    appendKey(out, "experimental_features");
    out += _experimental;
    out += ',';
    appendArray(out, "groups", groups);
    appendBool(out, "is_admin", signedIn && principal.isAdmin());
    appendBool(out, "is_owner", signedIn && principal.role == "owner");
    appendBool(out, "mfa_enabled", signedIn && principal.mfaEnabled);
    appendArray(out, "permissions", permissions);
    appendKey(out, "role");
    appendString(out, signedIn ? principal.role : "guest");
    out += ',';
    appendBool(out, "sfw_check", principal.sfwCheck);
    appendKey(out, "token_kind");
    appendString(out, principal.tokenKind);
    out += ',';
    appendKey(out, "user_id");
    appendString(out, principal.userId);
    out += ',';
    appendKey(out, "username");
    appendString(out, signedIn ? principal.username : "guest");
    out += '}';
    return out;
}

} // namespace comfygate::auth
