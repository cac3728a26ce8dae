#include "QueueRemainingRoutes.h"

#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Object.h>

namespace comfygate::comfyproxy {

void QueueRemainingRoutes::registerAll(RouteRegistry& routes)
{
    auto route = RouteSpec::make(
        "GET", "/prompt", Access::Permission, "how many of your prompts are running or waiting (exec_info)",
        [this](HttpExchange& e) { remaining(e); }, "can_access_api");
    route.apiTwin = true;
    routes.add(route);
}

void QueueRemainingRoutes::remaining(HttpExchange& exchange)
{
    const auto counts = _queue.remainingNow(exchange.principal().userId);
    if (!counts)
        throw HttpError(502, "ComfyUI did not answer /queue", "upstream_unavailable");
    Poco::JSON::Object::Ptr execInfo = new Poco::JSON::Object;
    execInfo->set("queue_remaining", _scope.seesEveryone(exchange.principal()) ? counts->total : counts->user);
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("exec_info", execInfo);
    exchange.sendJson(200, body);
}

} // namespace comfygate::comfyproxy
