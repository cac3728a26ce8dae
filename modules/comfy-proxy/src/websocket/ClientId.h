#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <string>

namespace comfygate::comfyproxy {

/// The sid ComfyUI knows a user's socket by: `<user id>.<client id>`. POST /prompt's
/// `client_id` and the WebSocket's `clientId` both go through this one rule, so they meet
/// upstream, and a user can never name (and so receive the events of) another user's socket.
/// An id that already carries the caller's own prefix is kept as it is.
/// The longest client id the gateway accepts.
constexpr std::size_t maxClientIdLength = 128;

/// A client id the gateway passes on: letters, digits, `-`, `_` and `.`, at most
/// maxClientIdLength characters (the WebSocket's `clientId`, the logs subscription's).
inline bool isValidClientId(const std::string& clientId)
{
    return !clientId.empty() && clientId.size() <= maxClientIdLength &&
           std::all_of(clientId.begin(), clientId.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
}

inline std::string upstreamSid(const std::string& userId, const std::string& clientId)
{
    if (clientId.rfind(userId + ".", 0) == 0)
        return clientId;
    return userId + "." + clientId;
}

} // namespace comfygate::comfyproxy
