#include "LogSubscriptionRoutes.h"

#include "ClientId.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Object.h>

#include <sstream>

namespace comfygate::comfyproxy {

void LogSubscriptionRoutes::registerAll(RouteRegistry& routes)
{
    routes.add(RouteSpec::make(
        "PATCH", "/internal/logs/subscribe", Access::Permission,
        "send ComfyUI's log lines to one of your WebSockets as `logs` events ({clientId, enabled})",
        [this](HttpExchange& e) { subscribe(e); }, "can_view_console"));
}

void LogSubscriptionRoutes::subscribe(HttpExchange& exchange)
{
    const auto body = exchange.jsonBody();
    const auto clientId = body->get("clientId");
    if (!clientId.isString() || !isValidClientId(clientId.extract<std::string>()))
        throw HttpError(400, "clientId must be the clientId of one of your WebSockets (letters, digits, '-', '_' "
                             "and '.', at most " +
                                 std::to_string(maxClientIdLength) + " characters)");
    const auto enabled = body->get("enabled");
    if (!enabled.isBoolean())
        throw HttpError(400, "enabled must be true or false");
    const bool anySubscribed =
        _hub.subscribeLogs(exchange.principal().userId, clientId.extract<std::string>(), enabled.extract<bool>());
    UpstreamClient::relay(exchange, tellComfy(anySubscribed));
}

UpstreamClient::Answer LogSubscriptionRoutes::tellComfy(bool enabled)
{
    Poco::JSON::Object forwarded;
    forwarded.set("clientId", _hub.gatewaySid());
    forwarded.set("enabled", enabled);
    std::ostringstream text;
    forwarded.stringify(text);
    return _upstream.fetch("PATCH", "/internal/logs/subscribe", text.str());
}

void LogSubscriptionRoutes::renew()
{
    if (!_hub.hasLogSubscribers())
        return;
    try {
        tellComfy(true);
    } catch (const std::exception&) {
        // ComfyUI went away again; the next reopening renews it
    }
}

} // namespace comfygate::comfyproxy
