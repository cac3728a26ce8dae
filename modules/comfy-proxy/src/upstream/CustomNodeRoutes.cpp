#include "CustomNodeRoutes.h"

#include "comfygate/HttpExchange.h"
#include "comfygate/Permissions.h"
#include "comfygate/Route.h"

#include <Poco/String.h>

#include <algorithm>
#include <stdexcept>

namespace comfygate::comfyproxy {
namespace {

const std::set<std::string> openableMethods{"GET", "POST", "PUT", "DELETE", "PATCH"};

std::vector<std::string> split(const std::string& text, char separator)
{
    std::vector<std::string> parts;
    std::string::size_type start = 0;
    while (true) {
        const auto at = text.find(separator, start);
        parts.push_back(Poco::trim(text.substr(start, at == std::string::npos ? std::string::npos : at - start)));
        if (at == std::string::npos)
            return parts;
        start = at + 1;
    }
}

bool isPlainSegment(const std::string& segment)
{
    return !segment.empty() && segment != "." && segment != ".." &&
           std::all_of(segment.begin(), segment.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~'; });
}

/// `/manager/` → `/manager`; empty when the prefix is not a plain absolute path.
std::string normalisedPrefix(std::string prefix)
{
    if (prefix.size() > 1 && prefix.back() == '/')
        prefix.pop_back();
    if (prefix.size() < 2 || prefix[0] != '/')
        return {};
    const auto segments = split(prefix.substr(1), '/');
    const bool plain =
        std::all_of(segments.begin(), segments.end(), [&](const std::string& s) { return isPlainSegment(s); });
    return plain ? prefix : std::string();
}

} // namespace

std::vector<CustomNodeRoutes::Rule> CustomNodeRoutes::parse(const std::string& value, const std::string& key)
{
    std::vector<Rule> rules;
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& entry : split(value, ';')) {
        if (entry.empty())
            continue;
        const auto fail = [&](const std::string& why) {
            throw std::invalid_argument("configuration key " + key + ": entry '" + entry + "': " + why +
                                        " (expected <prefix>:<permission>[:<METHOD>,...], e.g. "
                                        "/manager/:can_access_manager:GET,POST)");
        };
        const auto fields = split(entry, ':');
        if (fields.size() < 2 || fields.size() > 3)
            fail("needs a prefix, a permission and optionally methods, separated by ':'");
        Rule rule;
        rule.prefix = normalisedPrefix(fields[0]);
        if (rule.prefix.empty())
            fail("the prefix must be an absolute path of plain segments (letters, digits, '-', '_', '.', '~')");
        if (rule.prefix == "/api" || rule.prefix.rfind("/api/", 0) == 0)
            fail("write the prefix without /api: both /x/... and /api/x/... are opened");
        rule.permission = fields[1];
        if (rule.permission.empty())
            fail("the permission is missing");
        const auto methods = fields.size() == 3 ? split(fields[2], ',') : std::vector<std::string>{"GET"};
        for (const auto& method : methods) {
            const std::string upper = Poco::toUpper(method);
            if (!openableMethods.count(upper))
                fail("unknown method '" + method + "' (GET, POST, PUT, DELETE, PATCH)");
            if (!seen.insert({rule.prefix, upper}).second)
                fail(upper + " " + rule.prefix + "/ is opened twice");
            rule.methods.insert(upper);
        }
        rules.push_back(std::move(rule));
    }
    return rules;
}

CustomNodeRoutes::CustomNodeRoutes(UpstreamClient& upstream, ComfyUserMap& users, bool multiUser, std::size_t bodyLimit,
                                   std::vector<Rule> rules, const PermissionRegistry& permissions,
                                   const std::string& key)
    : _upstream(upstream), _users(users), _multiUser(multiUser), _bodyLimit(bodyLimit), _rules(std::move(rules))
{
    for (const auto& rule : _rules) {
        if (!permissions.isDeclared(rule.permission))
            throw std::invalid_argument("configuration key " + key + ": prefix " + rule.prefix +
                                        "/ needs permission '" + rule.permission +
                                        "', which no loaded module declares");
    }
}

void CustomNodeRoutes::registerAll(RouteRegistry& routes)
{
    for (const auto& rule : _rules) {
        for (const auto& method : rule.methods) {
            auto route = RouteSpec::make(
                method, rule.prefix + "/{path...}", Access::Permission,
                "custom-node route opened by comfy.passthrough, relayed to ComfyUI",
                [this](HttpExchange& e) { forward(e); }, rule.permission);
            route.apiTwin = true;
            route.bodyLimit = _bodyLimit;
            routes.add(route);
        }
    }
}

void CustomNodeRoutes::forward(HttpExchange& exchange)
{
    std::map<std::string, std::string> headers;
    if (_multiUser)
        headers["comfy-user"] = _users.comfyUserFor(exchange.principal());
    _upstream.forward(exchange, headers);
}

} // namespace comfygate::comfyproxy
