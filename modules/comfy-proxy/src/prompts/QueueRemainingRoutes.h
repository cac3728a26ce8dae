#pragma once

#include "QueueSnapshot.h"
#include "UserScope.h"

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// GET /prompt (+ /api twin): `{"exec_info":{"queue_remaining":N}}` like ComfyUI, where N
/// counts only the caller's running and pending prompts (everyone's for callers who see every
/// user's items). Clients poll it (one JavaScript client library waits for its 200 before it
/// starts), so the counts come from QueueSnapshot's shared copies of ComfyUI's /queue, the
/// same ones the WebSocket `status` frames use.
class QueueRemainingRoutes
{
public:
    QueueRemainingRoutes(QueueSnapshot& queue, bool separateUsers) : _queue(queue), _scope(separateUsers) {}
    void registerAll(RouteRegistry& routes);

private:
    void remaining(HttpExchange& exchange);

    QueueSnapshot& _queue;
    UserScope _scope;
};

} // namespace comfygate::comfyproxy
