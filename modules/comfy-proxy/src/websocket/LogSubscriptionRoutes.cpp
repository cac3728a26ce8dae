#include "LogSubscriptionRoutes.h"

#include "UpstreamSid.h"
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
    const std::string& id = clientId.extract<std::string>();
    Poco::JSON::Object forwarded;
    forwarded.set("clientId", _separateUsers ? upstreamSid(exchange.principal().userId, id) : id);
    forwarded.set("enabled", enabled.extract<bool>());
    std::ostringstream text;
    forwarded.stringify(text);
    UpstreamClient::relay(exchange, _upstream.fetch("PATCH", "/internal/logs/subscribe", text.str()));
}

} // namespace comfygate::comfyproxy
