#include "UserDataRoutes.h"

#include "UserDataPath.h"

#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Object.h>

namespace comfygate::comfyproxy {

void UserDataRoutes::registerAll(RouteRegistry& routes)
{
    // With one shared folder (no multi_user) a write changes everyone's workflows and settings.
    const char* workflowWrite = _multiUser ? "can_modify_workflows" : "can_manage_comfyui";
    const char* settingsWrite = _multiUser ? "can_access_api" : "can_manage_comfyui";
    struct Entry
    {
        const char* method;
        const char* pattern;
        const char* permission;
        const char* description;
    };
    const std::vector<Entry> table{
        {"GET", "/userdata", "can_access_api", "list your user data files (dir, recurse, full_info, split)"},
        {"GET", "/userdata/{file}", "can_access_api", "read one of your user data files"},
        {"POST", "/userdata/{file}", workflowWrite, "write one of your user data files (overwrite, full_info)"},
        {"DELETE", "/userdata/{file}", workflowWrite, "delete one of your user data files"},
        {"POST", "/userdata/{file}/move/{dest}", workflowWrite, "move one of your user data files"},
        {"GET", "/v2/userdata", "can_access_api", "list your user data (path)"},
        {"GET", "/settings", "can_access_api", "your ComfyUI settings"},
        {"GET", "/settings/{id}", "can_access_api", "one of your ComfyUI settings"},
        {"POST", "/settings", settingsWrite, "change your ComfyUI settings"},
        {"POST", "/settings/{id}", settingsWrite, "change one of your ComfyUI settings"},
    };
    for (const auto& entry : table) {
        auto route = RouteSpec::make(
            entry.method, entry.pattern, Access::Permission, entry.description,
            [this](HttpExchange& e) { forwardAsUser(e, e.request().getURI()); }, entry.permission);
        route.apiTwin = true;
        route.bodyLimit = _bodyLimit;
        routes.add(route);
    }
    registerLiteralSlashPaths(routes, workflowWrite);
    auto users = RouteSpec::make(
        "GET", "/users", Access::Permission, "your ComfyUI user (only yours)",
        [this](HttpExchange& e) { listUsers(e); }, "can_access_api");
    users.apiTwin = true;
    routes.add(users);
    auto create = RouteSpec::make(
        "POST", "/users", Access::Permission, "create a ComfyUI user (admins)",
        [this](HttpExchange& e) { forwardPlain(e); }, "can_manage_comfyui");
    create.apiTwin = true;
    routes.add(create);
}

void UserDataRoutes::registerLiteralSlashPaths(RouteRegistry& routes, const char* workflowWrite)
{
    // `{file}` and `{file}/move/{dest}` are narrower, so these only see paths with more segments.
    struct Entry
    {
        const char* method;
        const char* permission;
        const char* description;
    };
    const std::vector<Entry> table{
        {"GET", "can_access_api", "read one of your user data files (path with literal slashes)"},
        {"POST", workflowWrite, "write or move (<file>/move/<dest>) one of your user data files (literal slashes)"},
        {"DELETE", workflowWrite, "delete one of your user data files (path with literal slashes)"},
    };
    for (const auto& entry : table) {
        const bool move = std::string(entry.method) == "POST";
        auto route = RouteSpec::make(
            entry.method, "/userdata/{path...}", Access::Permission, entry.description,
            [this, move](HttpExchange& e) { forwardAsUser(e, UserDataPath::upstreamUri(e.request().getURI(), move)); },
            entry.permission);
        route.apiTwin = true;
        route.bodyLimit = _bodyLimit;
        routes.add(route);
    }
}

void UserDataRoutes::listUsers(HttpExchange& exchange)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("storage", "server");
    if (_multiUser) {
        Poco::JSON::Object::Ptr users = new Poco::JSON::Object;
        users->set(_users.comfyUserFor(exchange.principal()), exchange.principal().username);
        body->set("users", users);
    } else {
        // ComfyUI's single-user answer; the front end then keeps its settings on the server.
        body->set("migrated", true);
    }
    exchange.sendJson(200, body);
}

void UserDataRoutes::forwardAsUser(HttpExchange& exchange, const std::string& upstreamUri)
{
    std::map<std::string, std::string> headers;
    if (_multiUser)
        headers["comfy-user"] = _users.comfyUserFor(exchange.principal());
    _upstream.forward(exchange, upstreamUri, headers);
}

void UserDataRoutes::forwardPlain(HttpExchange& exchange)
{
    _upstream.forward(exchange);
}

} // namespace comfygate::comfyproxy
