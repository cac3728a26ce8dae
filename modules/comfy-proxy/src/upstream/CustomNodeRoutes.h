#pragma once

#include "ComfyUserMap.h"
#include "UpstreamClient.h"

#include <cstddef>
#include <set>
#include <string>
#include <vector>

namespace comfygate {
class HttpExchange;
class PermissionRegistry;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// Routes of custom nodes (ComfyUI-Manager's `/manager/...`, a node pack's own API) that the
/// operator opens with `comfy.passthrough`; every other unknown path stays closed (404).
///
/// The value is a `;`-separated list of `<prefix>:<permission>[:<methods>]`, e.g.
/// `/manager/:can_access_manager:GET,POST; /customnode/:can_manage_extensions`. Each entry
/// registers `<prefix>/{path...}` and its `/api` twin for each method (GET, which also answers
/// HEAD, when none are given), needing the permission; requests are streamed to ComfyUI like
/// every relayed route (hop-by-hop headers, credentials and Origin dropped; with
/// comfy.multi_user the caller's own ComfyUI user as `comfy-user`).
class CustomNodeRoutes
{
public:
    struct Rule
    {
        std::string prefix; ///< `/manager` (no trailing slash)
        std::string permission;
        std::set<std::string> methods;
    };

    /// Parses a `comfy.passthrough` value. Throws std::invalid_argument naming `key` and the
    /// bad entry for bad syntax, a prefix under `/api` (both forms are opened anyway), an
    /// unknown method or a prefix + method listed twice.
    static std::vector<Rule> parse(const std::string& value, const std::string& key);

    /// `rules` must name declared permissions (std::invalid_argument naming `key` otherwise).
    CustomNodeRoutes(UpstreamClient& upstream, ComfyUserMap& users, bool multiUser, std::size_t bodyLimit,
                     std::vector<Rule> rules, const PermissionRegistry& permissions, const std::string& key);
    void registerAll(RouteRegistry& routes);

private:
    void forward(HttpExchange& exchange);

    UpstreamClient& _upstream;
    ComfyUserMap& _users;
    bool _multiUser;
    std::size_t _bodyLimit;
    std::vector<Rule> _rules;
};

} // namespace comfygate::comfyproxy
