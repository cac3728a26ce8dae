#pragma once

#include "UpstreamClient.h"

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// PATCH /internal/logs/subscribe (no /api twin, as in ComfyUI), for can_view_console:
/// `{"clientId": <the caller's WebSocket clientId>, "enabled": bool}` subscribes or
/// unsubscribes the caller's own socket to ComfyUI's `logs` events. The clientId becomes the
/// upstream sid of that socket (`<user id>.<clientId>`, UpstreamSid.h), so a caller can only
/// ever subscribe their own sockets; FrameFilter passes `logs` only to sockets of users who
/// hold can_view_console. A bad body is 400 `{"error"}` and never reaches ComfyUI.
class LogSubscriptionRoutes
{
public:
    LogSubscriptionRoutes(UpstreamClient& upstream, bool separateUsers)
        : _upstream(upstream), _separateUsers(separateUsers)
    {
    }
    void registerAll(RouteRegistry& routes);

private:
    void subscribe(HttpExchange& exchange);

    UpstreamClient& _upstream;
    bool _separateUsers;
};

} // namespace comfygate::comfyproxy
