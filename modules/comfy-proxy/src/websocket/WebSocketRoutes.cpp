#include "WebSocketRoutes.h"

#include "ClientId.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/Net/WebSocket.h>
#include <Poco/String.h>

namespace comfygate::comfyproxy {

void WebSocketRoutes::registerAll(RouteRegistry& routes)
{
    auto socket = RouteSpec::make(
        "GET", "/ws", Access::Permission, "ComfyUI's WebSocket, carrying only your own prompts' events (?clientId=)",
        [this](HttpExchange& e) { accept(e); }, "can_access_api");
    socket.apiTwin = true;
    socket.webSocket = true;
    socket.bodyLimit = 0;
    routes.add(socket);
}

void WebSocketRoutes::accept(HttpExchange& exchange)
{
    auto& request = exchange.request();
    if (!_origins.allows(request.get("Origin", ""), request.get("Host", "")))
        throw HttpError(403,
                        "a page from " + request.get("Origin") +
                            " may not open this WebSocket (list it in comfy.ws_allowed_origins)",
                        "origin_not_allowed");
    if (Poco::icompare(request.get("Upgrade", ""), "websocket") != 0)
        throw HttpError(400, "this route only speaks WebSocket (Upgrade: websocket)");
    std::string clientId = exchange.query("clientId").value_or("");
    if (clientId.empty())
        clientId = generatedClientId();
    else if (!isValidClientId(clientId))
        throw HttpError(400, "clientId may hold only letters, digits, '-', '_' and '.', at most " +
                                 std::to_string(maxClientIdLength) + " characters");
    _hub.requireUpstream();
    const auto mark = _hub.publishedMark(); // a client that has its 101 gets every event after it
    try {
        Poco::Net::WebSocket client(request, exchange.response());
        _hub.attach(client, exchange.principal(), clientId, mark);
    } catch (const Poco::Exception& e) {
        if (exchange.responded())
            return;
        throw HttpError(400, "WebSocket handshake failed: " + e.message());
    }
}

} // namespace comfygate::comfyproxy
