#include "SignOutExtension.h"

#include "WebFiles.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

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
    const auto answer = _upstream.fetch("GET", "/extensions");
    if (answer.status != 200) {
        UpstreamClient::relay(exchange, answer);
        return;
    }
    Poco::JSON::Array::Ptr scripts;
    try {
        scripts = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Array::Ptr>();
    } catch (...) {
        throw HttpError(502, "ComfyUI answered /extensions with something that is not a JSON array");
    }
    scripts->add(std::string(scriptPath));
    exchange.sendJson(200, scripts);
}

void SignOutExtension::script(HttpExchange& exchange)
{
    exchange.response().set("Cache-Control", "no-cache");
    exchange.sendText(200, "text/javascript; charset=utf-8", webFile("comfygate-signout.js"));
}

} // namespace comfygate::comfyproxy
