#include "PassThroughRoutes.h"

#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace comfygate::comfyproxy {

void PassThroughRoutes::registerAll(RouteRegistry& routes)
{
    // No comfy-user: ComfyUI reads it only on its user routes (UserDataRoutes).
    const auto forward = [this](HttpExchange& e) { _upstream.forward(e); };
    struct Entry
    {
        const char* method;
        const char* pattern;
        const char* permission;
        bool twin;
        const char* description;
    };
    const std::vector<Entry> table{
        {"GET", "/models", "can_access_api", true, "model folder names"},
        {"GET", "/features", "can_access_api", true, "server feature flags"},
        {"GET", "/i18n", "can_access_api", true, "the front end's translations of core and custom nodes"},
        {"GET", "/workflow_templates", "can_access_api", true, "workflow templates of the installed node packs"},
        {"GET", "/global_subgraphs", "can_access_api", true, "subgraph blueprints of the installed node packs"},
        {"GET", "/global_subgraphs/{id}", "can_access_api", true, "one subgraph blueprint with its data"},
        {"POST", "/free", "can_manage_comfyui", true, "unload models and free memory (admins)"},
        {"POST", "/users", "can_manage_comfyui", true, "create a ComfyUI user (admins; ComfyUI --multi-user)"},
        {"GET", "/internal/logs", "can_manage_comfyui", false, "ComfyUI's log (admins)"},
        {"GET", "/internal/logs/raw", "can_manage_comfyui", false, "ComfyUI's log entries (admins)"},
        {"GET", "/internal/folder_paths", "can_manage_comfyui", false, "absolute model folder paths (admins)"},
        {"GET", "/internal/files/{type}", "can_manage_comfyui", false, "file names of a directory (admins)"},
    };
    for (const auto& entry : table) {
        auto route = RouteSpec::make(entry.method, entry.pattern, Access::Permission, entry.description, forward,
                                     entry.permission);
        route.apiTwin = entry.twin;
        routes.add(route);
    }
    auto stats = RouteSpec::make("GET", "/system_stats", Access::Permission,
                                 "ComfyUI system and device stats (the command line only for admins)",
                                 [this](HttpExchange& e) { systemStats(e); }, "can_access_api");
    stats.apiTwin = true;
    routes.add(stats);
}

void PassThroughRoutes::systemStats(HttpExchange& exchange)
{
    const auto answer = _upstream.fetch("GET", exchange.request().getURI());
    if (answer.status != 200) {
        UpstreamClient::relay(exchange, answer);
        return;
    }
    Poco::JSON::Object::Ptr stats;
    try {
        stats = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
    } catch (...) {
        throw HttpError(502, "ComfyUI answered /system_stats with something that is not a JSON object");
    }
    // argv shows how ComfyUI was started (paths, flags, sometimes secrets): admins only.
    if (!exchange.principal().has("can_manage_comfyui")) {
        if (auto system = stats->getObject("system"))
            system->remove("argv");
    }
    exchange.sendJson(200, stats);
}

} // namespace comfygate::comfyproxy
