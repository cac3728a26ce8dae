#include "SignOutExtension.h"

#include "WebFiles.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"


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

std::optional<std::string> SignOutExtension::withScript(const std::string& list)
{
    const auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    std::size_t first = 0, last = list.size();
    while (first < last && isSpace(list[first]))
        ++first;
    while (last > first && isSpace(list[last - 1]))
        --last;
    if (last - first < 2 || list[first] != '[' || list[last - 1] != ']')
        return std::nullopt;
    std::size_t inner = first + 1;
    while (inner < last - 1 && isSpace(list[inner]))
        ++inner;
    const bool empty = inner == last - 1;
    std::string out = empty ? std::string("[\"") : list.substr(first, last - 1 - first) + ",\"";
    out += scriptPath;
    out += "\"]";
    return out;
}

void SignOutExtension::list(HttpExchange& exchange)
{
    const auto answer = _upstream.fetch("GET", exchange.request().getURI());
    if (answer.status != 200) {
        UpstreamClient::relay(exchange, answer);
        return;
    }
    const auto scripts = withScript(answer.body);
    if (!scripts)
        throw HttpError(502, "ComfyUI answered /extensions with something that is not a JSON array");
    exchange.sendText(200, "application/json", *scripts);
}

void SignOutExtension::script(HttpExchange& exchange)
{
    exchange.response().set("Cache-Control", "no-cache");
    exchange.sendText(200, "text/javascript; charset=utf-8", webFile("comfygate-signout.js"));
}

} // namespace comfygate::comfyproxy
