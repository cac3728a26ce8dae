#pragma once

#include "UpstreamClient.h"

#include <string>

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// ComfyUI routes that carry no per-user data and go through unchanged (both `/x` and
/// `/api/x`): the model folder keys, features, translations, workflow templates, subgraph
/// blueprints, system stats (the command line
/// only for admins), and the admin-only `/free` and `/internal/*`. Node and model listings
/// and model metadata go through ModelListRoutes (model isolation); routes that expose other users' prompts,
/// outputs or events are not registered here.
class PassThroughRoutes
{
public:
    explicit PassThroughRoutes(UpstreamClient& upstream) : _upstream(upstream) {}
    void registerAll(RouteRegistry& routes);

private:
    void systemStats(HttpExchange& exchange);

    UpstreamClient& _upstream;
};

} // namespace comfygate::comfyproxy
