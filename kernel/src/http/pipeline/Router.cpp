#include "Router.h"

#include "comfygate/SwarmApi.h"

#include <Poco/String.h>

#include <stdexcept>

namespace comfygate {
namespace {

const std::set<std::string> knownMethods{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};

bool betterThan(const RegisteredRoute& candidate, const RegisteredRoute& current)
{
    // Compare shapes left to right: at the first difference a literal beats a parameter.
    const std::string& a = candidate.pattern.shape();
    const std::string& b = current.pattern.shape();
    const auto n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) {
            if (b[i] == '{' || a[i] == '{')
                return b[i] == '{';
            return a[i] == '}' && b[i] == '.'; // "{}" is narrower than "{...}"
        }
    }
    return candidate.pattern.literalCount() > current.pattern.literalCount();
}

} // namespace

void Router::add(RouteSpec spec, const std::string& owner)
{
    if (_frozen)
        throw std::logic_error("module '" + owner + "' registered route " + spec.pattern +
                               " outside start()");
    if (!knownMethods.count(spec.method))
        throw std::invalid_argument("route " + spec.pattern + ": unknown method '" + spec.method + "'");
    if (!spec.handler)
        throw std::invalid_argument("route " + spec.method + " " + spec.pattern + " has no handler");
    if (spec.access == Access::Permission && spec.permission.empty())
        throw std::invalid_argument("route " + spec.method + " " + spec.pattern +
                                    " needs a permission id");

    std::vector<std::string> patterns{spec.pattern};
    if (spec.apiTwin)
        patterns.push_back("/api" + spec.pattern);
    patterns.insert(patterns.end(), spec.aliases.begin(), spec.aliases.end());

    std::vector<RoutePattern> compiled;
    for (const auto& text : patterns) {
        compiled.emplace_back(text);
        const std::string key = spec.method + " " + compiled.back().shape();
        const auto existing = _byShape.find(key);
        if (existing != _byShape.end())
            throw std::logic_error("route " + spec.method + " " + text + " is already registered by module '" +
                                   existing->second->owner + "' (" + existing->second->pattern.text() + ")");
    }
    std::string swarmName;
    if (spec.swarm) {
        // SwarmUI finds a route by its lower-cased name, so two names differing only in case
        // could never both be reached.
        swarmName = Poco::toLower(spec.swarm->name);
        const auto taken = _swarmByName.find(swarmName);
        if (taken != _swarmByName.end())
            throw std::logic_error("SwarmUI route " + spec.swarm->name + " clashes with " +
                                   taken->second->spec->swarm->name + " of module '" + taken->second->owner +
                                   "' (route names are case-insensitive)");
    }
    auto shared = std::make_shared<const RouteSpec>(std::move(spec));
    for (auto& pattern : compiled) {
        auto route = std::make_unique<RegisteredRoute>(
            RegisteredRoute{shared->method, std::move(pattern), shared, owner});
        _byShape[route->method + " " + route->pattern.shape()] = route.get();
        const auto first = route->pattern.firstLiteral();
        (first ? _byFirstSegment[*first] : _startingWithParameter).push_back(_routes.size());
        if (route->pattern.parameterNames().empty() && route->pattern.text().find('%') == std::string::npos)
            _literalByPath[route->pattern.text()][route->method] = route.get();
        _routes.push_back(std::move(route));
    }
    if (!swarmName.empty())
        _swarmByName[swarmName] = _routes[_routes.size() - compiled.size()].get();
}

const RegisteredRoute* Router::swarmRoute(const std::string& name) const
{
    const auto found = _swarmByName.find(Poco::toLower(name));
    return found == _swarmByName.end() ? nullptr : found->second;
}

namespace {

/// A path whose segments decode to themselves and that resolve() would not refuse: no
/// percent-encoding, backslash, NUL or dot segment. Such a path equals its decoded form.
bool plainPath(const std::string& rawPath)
{
    if (rawPath.empty() || rawPath[0] != '/' || rawPath.find_first_of(std::string("%\\\0", 3)) != std::string::npos)
        return false;
    std::size_t start = 1;
    while (start <= rawPath.size()) {
        const auto slash = std::min(rawPath.find('/', start), rawPath.size());
        const auto length = slash - start;
        if ((length == 1 && rawPath[start] == '.') || (length == 2 && rawPath.compare(start, 2, "..") == 0))
            return false;
        start = slash + 1;
    }
    return true;
}

} // namespace

const RegisteredRoute* Router::literalRoute(const std::string& method, const std::string& rawPath) const
{
    const auto path = _literalByPath.find(rawPath);
    if (path == _literalByPath.end() || !plainPath(rawPath))
        return nullptr;
    const auto route = path->second.find(method == "HEAD" ? std::string("GET") : method);
    return route == path->second.end() ? nullptr : route->second;
}

Router::Resolution Router::resolve(const std::string& method, const std::string& rawPath) const
{
    Resolution result;
    // A literal pattern equal to the path wins over every parameter pattern that also matches
    // (a literal beats a parameter at the first difference), so it needs no comparing.
    if (const RegisteredRoute* literal = literalRoute(method, rawPath)) {
        result.outcome = Outcome::Found;
        result.route = literal;
        return result;
    }
    const auto segments = RoutePattern::splitPath(rawPath);
    if (!segments) {
        result.outcome = Outcome::BadPath;
        return result;
    }
    const std::string wanted = method == "HEAD" ? "GET" : method;
    const RegisteredRoute* best = nullptr;
    std::map<std::string, std::string> bestParams;
    for (const RegisteredRoute* route : candidates(segments->front())) {
        auto params = route->pattern.match(*segments);
        if (!params)
            continue;
        if (route->method != wanted) {
            result.allowed.insert(route->method);
            if (route->method == "GET")
                result.allowed.insert("HEAD");
            continue;
        }
        if (!best || betterThan(*route, *best)) {
            best = route;
            bestParams = std::move(*params);
        }
    }
    if (best) {
        result.outcome = Outcome::Found;
        result.route = best;
        result.params = std::move(bestParams);
        result.allowed.clear();
    } else if (!result.allowed.empty()) {
        result.outcome = Outcome::MethodNotAllowed;
    }
    return result;
}

std::vector<const RegisteredRoute*> Router::candidates(const std::string& firstSegment) const
{
    static const std::vector<std::size_t> none;
    const auto literal = _byFirstSegment.find(firstSegment);
    const auto& a = literal == _byFirstSegment.end() ? none : literal->second;
    const auto& b = _startingWithParameter;
    // Merged by index, so ties still go to the route registered first.
    std::vector<const RegisteredRoute*> merged;
    merged.reserve(a.size() + b.size());
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        const bool takeA = j == b.size() || (i < a.size() && a[i] < b[j]);
        merged.push_back(_routes[takeA ? a[i++] : b[j++]].get());
    }
    return merged;
}

void ModuleRoutes::add(RouteSpec route)
{
    if (!_open)
        throw std::logic_error("module '" + _owner + "' registered route " + route.pattern +
                               " outside start()");
    _router.add(std::move(route), _owner);
}

} // namespace comfygate
