#pragma once

#include "ModelGrantCheck.h"
#include "HostListMerge.h"
#include "UpstreamClient.h"

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// ComfyUI's model discovery with model isolation: GET /models/{folder}, /embeddings,
/// /object_info[/{node_class}] and the model library's /experiment/models/{folder} (+ /api
/// twins) list only the models the caller may use; /view_metadata/{folder} and
/// /experiment/models/preview/{folder}/{path_index}/{filename...} answer 404 for a model the
/// caller may not use. Callers who see everything (and everyone while isolation is off) get
/// the upstream answer streamed unchanged. GET /experiment/models keeps every folder but shows
/// its absolute `folders` (paths on the ComfyUI host) only to can_manage_comfyui (an empty list
/// for the others). GET /models (the folder keys) stays a plain pass-through.
class ModelListRoutes
{
public:
    /// `merge` (several ComfyUI hosts) answers the model lists and /object_info from every host.
    ModelListRoutes(UpstreamClient& upstream, ModelGrantCheck& check, HostListMerge* merge = nullptr)
        : _upstream(upstream), _check(check), _merge(merge)
    {
    }
    void registerAll(RouteRegistry& routes);

private:
    void folder(HttpExchange& exchange);
    void embeddings(HttpExchange& exchange);
    void objectInfo(HttpExchange& exchange);
    void viewMetadata(HttpExchange& exchange);
    void libraryFolders(HttpExchange& exchange);
    void libraryFolder(HttpExchange& exchange);
    void libraryPreview(HttpExchange& exchange);
    bool seesAll(HttpExchange& exchange) const;
    /// Streams the upstream answer when the caller may use `model` of the `{folder}` parameter; 404 otherwise.
    void forwardIfMayUse(HttpExchange& exchange, const std::string& model);
    /// Streams the upstream answer when `unchanged`; otherwise parses it as `Json` (an
    /// Array::Ptr or Object::Ptr, `shape` names it in the 502) and sends `filter(parsed)`.
    /// `acrossHosts`: with several hosts, the merged answer of all (HostListMerge) instead.
    template <class Json, class Filter>
    void relayFiltered(HttpExchange& exchange, bool unchanged, const char* shape, Filter filter,
                       bool acrossHosts = false);

    UpstreamClient& _upstream;
    ModelGrantCheck& _check;
    HostListMerge* _merge;
};

} // namespace comfygate::comfyproxy
