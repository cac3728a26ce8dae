#include "WebSocketRoutes.h"

#include "UpstreamSid.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/String.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>

namespace comfygate::comfyproxy {
namespace {

const Poco::Timespan upstreamConnectTimeout(5, 0);

} // namespace

WebSocketRoutes::WebSocketRoutes(std::string upstreamUrl, OriginCheck origins, WebSocketHub& hub, bool separateUsers)
    : _upstream(upstreamUrl), _origins(std::move(origins)), _hub(hub), _separateUsers(separateUsers)
{
}

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

std::string WebSocketRoutes::generatedClientId()
{
    // ComfyUI's own choice when a client brings none: uuid4().hex.
    std::string id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
    return id;
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
    const std::string sid = _separateUsers ? upstreamSid(exchange.principal().userId, clientId) : clientId;
    std::string path = request.getURI();
    path.resize(std::min(path.size(), path.find('?')));

    Poco::Net::WebSocket upstream = connectUpstream(path, sid);
    try {
        Poco::Net::WebSocket client(request, exchange.response());
        _hub.attach(client, upstream, exchange.principal(), clientId);
    } catch (const Poco::Exception& e) {
        try {
            upstream.shutdown();
        } catch (const Poco::Exception&) {
        }
        if (exchange.responded())
            return;
        throw HttpError(400, "WebSocket handshake failed: " + e.message());
    }
}

Poco::Net::WebSocket WebSocketRoutes::connectUpstream(const std::string& path, const std::string& sid) const
{
    Poco::Net::HTTPClientSession session(_upstream.getHost(), _upstream.getPort());
    session.setTimeout(upstreamConnectTimeout);
    std::string target;
    Poco::URI::encode(sid, "&=+#?/%", target);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path + "?clientId=" + target,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse response;
    try {
        return Poco::Net::WebSocket(session, request, response);
    } catch (const Poco::Exception& e) {
        throw HttpError(502,
                        "ComfyUI's WebSocket is not reachable at " + _upstream.toString() + " (" + e.displayText() +
                            "): check that it runs and that comfy.url points at it",
                        "upstream_unavailable");
    }
}

} // namespace comfygate::comfyproxy
