#include "SignOutExtension.h"

#include "WebFiles.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Array.h>

namespace comfygate::comfyproxy {

void SignOutExtension::registerAll(RouteRegistry& routes)
{
    auto list = RouteSpec::make(
        "GET", "/extensions", Access::Permission, "front-end extension scripts (ComfyUI's and the gateway's sign-out)",
        [this](HttpExchange& e) { this->list(e); }, "can_access_api");
    list.apiTwin = true;
    routes.add(list);
    routes.add(RouteSpec::make("GET", scriptPath, Access::Permission, "the gateway's sign-out extension script",
                               &SignOutExtension::script, "can_access_api"));
}

void SignOutExtension::list(HttpExchange& exchange)
{
    const auto scripts = _upstream.fetchJson(exchange);
    if (scripts.isEmpty())
        return;
    if (scripts.type() != typeid(Poco::JSON::Array::Ptr))
        throw HttpError(502, "ComfyUI answered /extensions with something that is not a JSON array");
    Poco::JSON::Array::Ptr list = scripts.extract<Poco::JSON::Array::Ptr>();
    list->add(std::string(scriptPath));
    exchange.sendJson(200, list);
}

void SignOutExtension::script(HttpExchange& exchange)
{
    exchange.response().set("Cache-Control", "no-cache");
    exchange.sendText(200, "text/javascript; charset=utf-8", webFile("comfygate-signout.js"));
}

} // namespace comfygate::comfyproxy
