#pragma once

#include "WorkflowLibrary.h"
#include "comfygate/Route.h"

namespace comfygate {
class HttpExchange;
}

namespace comfygate::userdata {

/// The version history of a workflow (`/mss-login/api/workflows/{file}/versions...`): the
/// earlier contents the store kept, one of them, and restoring one. `{file}` is the name below
/// `workflows/` (`sub%2Fa.json` for a subfolder); `?global=true` reaches a global workflow's.
class VersionRoutes
{
public:
    explicit VersionRoutes(WorkflowLibrary& library) : _library(library) {}

    void registerAll(RouteRegistry& routes);

private:
    /// The stored path and owner the request names; false after answering a refusal.
    bool target(HttpExchange& exchange, std::string& owner, std::string& path);
    void list(HttpExchange& exchange);
    void content(HttpExchange& exchange);
    void restore(HttpExchange& exchange);

    WorkflowLibrary& _library;
};

} // namespace comfygate::userdata
