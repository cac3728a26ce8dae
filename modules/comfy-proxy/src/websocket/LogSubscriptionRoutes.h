#pragma once

#include "UpstreamClient.h"
#include "WebSocketHub.h"

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// PATCH /internal/logs/subscribe (no /api twin, as in ComfyUI), for can_view_console:
/// `{"clientId": <the caller's WebSocket clientId>, "enabled": bool}` subscribes or
/// unsubscribes the caller's own socket (the tab `clientId` of the caller, never another
/// user's) to ComfyUI's `logs` events. ComfyUI sends `logs` to subscribed sids, and the
/// gateway has one sid for all its clients: the hub keeps the subscribed tabs and routes each
/// `logs` frame to them (sockets of users holding can_view_console only); ComfyUI is told to
/// subscribe the gateway's sid while any tab is subscribed, and again each time the upstream
/// socket reopens (ComfyUI forgets a subscription when its socket goes). A bad body is 400
/// `{"error"}` and never reaches ComfyUI.
class LogSubscriptionRoutes
{
public:
    LogSubscriptionRoutes(UpstreamClient& upstream, WebSocketHub& hub) : _upstream(upstream), _hub(hub) {}
    void registerAll(RouteRegistry& routes);
    /// Subscribes the gateway's sid again when any tab is subscribed (the upstream socket reopened).
    void renew();

private:
    void subscribe(HttpExchange& exchange);
    UpstreamClient::Answer tellComfy(bool enabled);

    UpstreamClient& _upstream;
    WebSocketHub& _hub;
};

} // namespace comfygate::comfyproxy
