#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace comfygate {

class HttpExchange;
namespace swarm {
struct RouteInfo;
}

/// Who may call a route. `Permission` needs the permission named in RouteSpec::permission.
enum class Access
{
    Public,        ///< anyone, no credential needed
    Authenticated, ///< any authenticated principal
    Permission     ///< an authenticated principal holding RouteSpec::permission
};

/// How errors of a route are shaped: each API family has its own.
enum class ErrorStyle
{
    Plain,     ///< {"error": "..."} — MSS-Login, ComfyUI and the kernel's own routes
    SwarmUI,   ///< {"error": "...", "error_id": "..."} — POST /API/<Name>
    ComfyCloud ///< {"code": "...", "message": "..."} — /api/assets, /api/tasks
};

using Handler = std::function<void(HttpExchange&)>;

/// One route. `pattern` uses `{name}` for a path segment parameter, e.g.
/// `/mss-login/api/model-download/jobs/{job_id}`. A final `{name...}` takes the rest of the path.
struct RouteSpec
{
    std::string method;  ///< GET, POST, PUT, DELETE, PATCH; GET routes also answer HEAD
    std::string pattern; ///< must start with '/'
    Access access = Access::Authenticated;
    std::string permission;                  ///< with Access::Permission
    std::size_t bodyLimit = 1024 * 1024;     ///< bytes; larger bodies get 413 before the handler runs
    bool apiTwin = false;                    ///< also register `/api` + pattern (ComfyUI style)
    std::vector<std::string> aliases;        ///< further patterns served by the same handler
    ErrorStyle errorStyle = ErrorStyle::Plain;
    bool htmlLoginRedirect = false;          ///< `Accept: text/html` without credentials gets 302 /login?next=<this URI>
    bool webSocket = false;                  ///< the handler upgrades the connection
    std::string description;                 ///< one line, used in /openapi.json
    std::shared_ptr<const swarm::RouteInfo> swarm; ///< SwarmUI metadata, set by swarm::addRoute (docs, dispatcher)
    Handler handler;

    /// A route in one expression; adjust the other members afterwards (twin, limits, style).
    static RouteSpec make(std::string method, std::string pattern, Access access, std::string description,
                          Handler handler, std::string permission = {})
    {
        RouteSpec spec;
        spec.method = std::move(method);
        spec.pattern = std::move(pattern);
        spec.access = access;
        spec.permission = std::move(permission);
        spec.description = std::move(description);
        spec.handler = std::move(handler);
        return spec;
    }
};

/// Where modules register their routes (only inside Module::start()).
class RouteRegistry
{
public:
    virtual ~RouteRegistry() = default;

    /// Adds the route (and its twin and aliases). Throws std::invalid_argument for a bad
    /// pattern and std::logic_error when the method + pattern is already taken.
    virtual void add(RouteSpec route) = 0;
};

} // namespace comfygate
