#pragma once

#include "ObjectInfoSource.h"
#include "WorkflowLibrary.h"
#include "comfygate/Route.h"

#include <functional>

namespace comfygate {
class HttpExchange;
}

namespace comfygate::userdata {

/// Comfy Portal's routes (the `comfy-portal-endpoint` node's API) on the caller's workflows,
/// global ones included: `/cpe/workflow/list`, `get`, `save`, `convert`, `get-and-convert`
/// and `/cpe/health`, each with its `/api` twin. Conversion from the UI format to the API
/// prompt runs in the gateway (WorkflowConverter) with ComfyUI's `/object_info`; no browser.
/// Answers `{"status":"success",...}`; errors `{"status":"error","message"}`.
class PortalRoutes
{
public:
    PortalRoutes(WorkflowLibrary& library, ObjectInfoSource& objectInfo, std::size_t bodyLimit)
        : _library(library), _objectInfo(objectInfo), _bodyLimit(bodyLimit)
    {
    }

    void registerAll(RouteRegistry& routes);

private:
    void list(HttpExchange& exchange);
    void get(HttpExchange& exchange);
    void save(HttpExchange& exchange);
    void convert(HttpExchange& exchange);
    void getAndConvert(HttpExchange& exchange);
    void health(HttpExchange& exchange);

    /// The stored path of a `filename` below workflows/; answers the refusal and returns "" when bad.
    static std::string workflowPath(const std::string& filename);
    /// The caller's (or the global) workflow `filename`; 404 PortalError when there is none.
    std::string load(HttpExchange& exchange, const std::string& filename);
    Poco::JSON::Object::Ptr converted(const Poco::JSON::Object::Ptr& workflow);

    WorkflowLibrary& _library;
    ObjectInfoSource& _objectInfo;
    std::size_t _bodyLimit;
};

} // namespace comfygate::userdata
