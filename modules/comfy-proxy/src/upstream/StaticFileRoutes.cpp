#include "StaticFileRoutes.h"

#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <vector>

namespace comfygate::comfyproxy {

void StaticFileRoutes::registerAll(RouteRegistry& routes)
{
    // ComfyUI serves its whole web root at '/'; the gateway names the front end's folders and
    // root files instead of a catch-all, so an unknown path stays a 404 of the gateway.
    const std::vector<std::string> patterns{
        "/",
        "/index.html",
        "/favicon.ico",
        "/user.css",
        "/style.css",
        "/fonts.css",
        "/materialdesignicons.min.css",
        "/assets/{path...}",
        "/scripts/{path...}",
        "/css/{path...}",
        "/fonts/{path...}",
        "/lib/{path...}",
        "/cursor/{path...}",
        "/extensions/{path...}",
        "/templates/{path...}",
        "/docs/{path...}",
        "/api/workflow_templates/{module}/{path...}",
    };
    for (const auto& pattern : patterns) {
        auto route = RouteSpec::make(
            "GET", pattern, Access::Permission, "ComfyUI's web UI files (streamed)",
            [this](HttpExchange& e) { _upstream.forward(e); }, "can_access_api");
        route.htmlLoginRedirect = true;
        route.bodyLimit = 0;
        routes.add(route);
    }
}

} // namespace comfygate::comfyproxy
