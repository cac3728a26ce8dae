#pragma once

#include "OriginCheck.h"
#include "WebSocketHub.h"

#include <Poco/Net/WebSocket.h>
#include <Poco/URI.h>

#include <string>

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// GET /ws and /api/ws: ComfyUI's WebSocket, per user. The kernel has authenticated the
/// request (token by query, cookie or Bearer) before the handler runs; here the Origin is
/// checked, the client's `clientId` (or a generated one) is mapped to the upstream sid
/// `<user id>.<clientId>`, the upstream socket is opened *before* the client's upgrade is
/// accepted (ComfyUI down → 502, no upgrade), and both sockets are handed to the WebSocketHub.
class WebSocketRoutes
{
public:
    WebSocketRoutes(std::string upstreamUrl, OriginCheck origins, WebSocketHub& hub, bool separateUsers);
    void registerAll(RouteRegistry& routes);

private:
    void accept(HttpExchange& exchange);
    Poco::Net::WebSocket connectUpstream(const std::string& path, const std::string& sid) const;
    static std::string generatedClientId();

    Poco::URI _upstream;
    OriginCheck _origins;
    WebSocketHub& _hub;
    bool _separateUsers;
};

} // namespace comfygate::comfyproxy
