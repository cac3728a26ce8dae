#pragma once

#include "OriginCheck.h"
#include "WebSocketHub.h"

#include <utility>

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// GET /ws and /api/ws: ComfyUI's WebSocket, per user. The kernel has authenticated the
/// request (token by query, cookie or Bearer) before the handler runs; here the Origin is
/// checked, the client's `clientId` is checked (or one is generated, as ComfyUI does), the
/// hub's shared upstream socket is made sure of *before* the client's upgrade is accepted
/// (closed and ComfyUI unreachable → 502, no upgrade), and the client socket is handed to the
/// WebSocketHub, which knows it by (user id, clientId).
class WebSocketRoutes
{
public:
    WebSocketRoutes(OriginCheck origins, WebSocketHub& hub) : _origins(std::move(origins)), _hub(hub) {}
    void registerAll(RouteRegistry& routes);

private:
    void accept(HttpExchange& exchange);

    OriginCheck _origins;
    WebSocketHub& _hub;
};

} // namespace comfygate::comfyproxy
