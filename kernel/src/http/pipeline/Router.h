#pragma once

#include "RoutePattern.h"
#include "comfygate/Route.h"

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>
#include <string>
#include <vector>

namespace comfygate {

/// A route as registered: the pattern it answers (the spec's own, its `/api` twin or an
/// alias), the spec shared by all of them, and the module that owns it.
struct RegisteredRoute
{
    std::string method;
    RoutePattern pattern;
    std::shared_ptr<const RouteSpec> spec;
    std::string owner;
};

/// Maps `method + path` to a registered route. Literal segments win over parameters, left
/// to right, so `/jobs/stats` beats `/jobs/{id}`. GET routes answer HEAD too.
class Router
{
public:
    enum class Outcome
    {
        Found,
        NotFound,
        MethodNotAllowed,
        BadPath
    };

    struct Resolution
    {
        Outcome outcome = Outcome::NotFound;
        const RegisteredRoute* route = nullptr;
        std::map<std::string, std::string> params;
        std::set<std::string> allowed; ///< with MethodNotAllowed: the methods the path has
    };

    /// Registers the spec under its pattern, its twin and its aliases. Throws
    /// std::invalid_argument (bad method, pattern or missing handler/permission) or
    /// std::logic_error (already registered; names the owner of the existing route).
    void add(RouteSpec spec, const std::string& owner);

    /// After freeze() nothing can be added and resolve() takes no lock.
    void freeze() { _frozen = true; }

    Resolution resolve(const std::string& method, const std::string& rawPath) const;

    /// The SwarmUI route (one registered by swarm::addRoute) named `name`, case ignored, as
    /// SwarmUI's dispatcher lower-cases the path after /API/; nullptr when there is none.
    const RegisteredRoute* swarmRoute(const std::string& name) const;

    /// Every registered route, in registration order.
    const std::vector<std::unique_ptr<RegisteredRoute>>& routes() const { return _routes; }

private:
    /// The routes a path may match, in registration order: those whose first segment is the
    /// path's and those that start with a parameter. Every request resolves, so it compares
    /// against a handful of patterns instead of all of them.
    std::vector<const RegisteredRoute*> candidates(const std::string& firstSegment) const;
    /// The route without parameters whose pattern is exactly `rawPath`, for `method`; nullptr
    /// when there is none or the path needs decoding or checking (see resolve()).
    const RegisteredRoute* literalRoute(const std::string& method, const std::string& rawPath) const;

    std::vector<std::unique_ptr<RegisteredRoute>> _routes;
    std::unordered_map<std::string, std::vector<std::size_t>> _byFirstSegment; ///< indexes into _routes
    std::vector<std::size_t> _startingWithParameter;
    std::map<std::string, const RegisteredRoute*> _byShape; ///< "METHOD shape" -> route
    std::unordered_map<std::string, const RegisteredRoute*> _swarmByName; ///< lower-cased name -> route
    /// Routes without parameters by their exact path, then method: most requests name one
    /// (`/mss-login/api/me`, `/prompt`), and a literal route beats every parameter route.
    std::unordered_map<std::string, std::map<std::string, const RegisteredRoute*>> _literalByPath;
    bool _frozen = false;
};

/// The RouteRegistry a module sees: adds to the router with the module as owner.
class ModuleRoutes : public RouteRegistry
{
public:
    ModuleRoutes(Router& router, std::string owner, const bool& open)
        : _router(router), _owner(std::move(owner)), _open(open)
    {
    }
    void add(RouteSpec route) override;

private:
    Router& _router;
    std::string _owner;
    const bool& _open;
};

} // namespace comfygate
