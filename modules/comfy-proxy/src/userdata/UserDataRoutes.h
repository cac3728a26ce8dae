#pragma once

#include "ComfyUserMap.h"
#include "UpstreamClient.h"

#include <cstddef>

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// ComfyUI's users, userdata and settings (+ /api twins). GET /users is answered by the
/// gateway with only the caller; POST /users needs can_manage_comfyui. `/userdata*`,
/// `/v2/userdata` and `/settings*` are streamed through unchanged (raw path, raw body) with
/// the caller's own ComfyUI user as `comfy-user` (comfy.multi_user). Without multi_user,
/// ComfyUI keeps one shared folder for everyone, so writes there need can_manage_comfyui.
/// A file path written with literal slashes is served like its `%2F` form.
class UserDataRoutes
{
public:
    UserDataRoutes(UpstreamClient& upstream, ComfyUserMap& users, bool multiUser, std::size_t bodyLimit)
        : _upstream(upstream), _users(users), _multiUser(multiUser), _bodyLimit(bodyLimit)
    {
    }
    void registerAll(RouteRegistry& routes);

private:
    void listUsers(HttpExchange& exchange);
    /// `/userdata/{path...}`: the same routes for a file path written with literal slashes,
    /// sent upstream in the `%2F` form (UserDataPath).
    void registerLiteralSlashPaths(RouteRegistry& routes, const char* workflowWrite);
    void forwardAsUser(HttpExchange& exchange, const std::string& upstreamUri);
    void forwardPlain(HttpExchange& exchange);

    UpstreamClient& _upstream;
    ComfyUserMap& _users;
    bool _multiUser;
    std::size_t _bodyLimit;
};

} // namespace comfygate::comfyproxy
