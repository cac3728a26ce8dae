#pragma once

#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <string>

namespace comfygate::comfyproxy {

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

/// ComfyUI's own choice of sid when a client brings none: uuid4().hex.
inline std::string generatedClientId()
{
    std::string id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
    return id;
}

/// The sid of the gateway's one upstream WebSocket, new for each process: ComfyUI addresses
/// every prompt the gateway submits to it (POST /prompt's `client_id`), and no client can
/// name it (a client's clientId only ever names its own socket at the gateway).
inline std::string newGatewaySid()
{
    return "comfygate-" + generatedClientId();
}

} // namespace comfygate::comfyproxy
