#pragma once

#include "ModelGrantCheck.h"
#include "UpstreamClient.h"

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// ComfyUI's model discovery with model isolation: GET /models/{folder}, /embeddings and
/// /object_info[/{node_class}] (+ /api twins) list only the models the caller may use, and
/// /view_metadata/{folder} answers 404 for a model the caller may not use.
/// Callers who see everything (and everyone while isolation is off) get the upstream answer
/// streamed unchanged. GET /models (the folder keys) stays a plain pass-through.
class ModelListRoutes
{
public:
    ModelListRoutes(UpstreamClient& upstream, ModelGrantCheck& check) : _upstream(upstream), _check(check) {}
    void registerAll(RouteRegistry& routes);

private:
    void folder(HttpExchange& exchange);
    void embeddings(HttpExchange& exchange);
    void objectInfo(HttpExchange& exchange);
    void viewMetadata(HttpExchange& exchange);
    /// Streams the upstream answer to callers who see everything; for the others parses it as
    /// `Json` (an Array::Ptr or Object::Ptr, `shape` names it in the 502) and sends
    /// `filter(parsed)`.
    template <class Json, class Filter>
    void relayFiltered(HttpExchange& exchange, const char* shape, Filter filter);

    UpstreamClient& _upstream;
    ModelGrantCheck& _check;
};

} // namespace comfygate::comfyproxy
