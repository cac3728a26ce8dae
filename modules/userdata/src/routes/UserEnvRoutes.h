#pragma once

#include "WorkflowLibrary.h"
#include "comfygate/Route.h"
#include "comfygate/ServiceRegistry.h"

#include <Poco/JSON/Object.h>

namespace comfygate {
class HttpExchange;
}

namespace comfygate::userdata {

/// MSS-Login's admin route `POST /mss-login/api/user-env`, for its workflow actions:
/// `list_workflows` (a user's own and the global ones) and `promote_workflow` (copy a user's
/// workflow to the global set). Users are named by username, resolved through the auth
/// module's directory ("auth.users").
class UserEnvRoutes
{
public:
    UserEnvRoutes(WorkflowLibrary& library, ServiceRegistry& services) : _library(library), _services(services) {}

    void registerAll(RouteRegistry& routes);

    /// `name` as a stored workflow path: `workflows/` added unless present, `.json` added
    /// unless present (MSS-Login names workflows by file name).
    static std::string workflowPath(const std::string& name);

private:
    void handle(HttpExchange& exchange);
    /// The user id of `username`; empty when there is no such user.
    std::string resolveUser(const std::string& username);
    void listWorkflows(HttpExchange& exchange, const std::string& username, const std::string& userId);
    void promote(HttpExchange& exchange, const Poco::JSON::Object& body, const std::string& userId);

    WorkflowLibrary& _library;
    ServiceRegistry& _services;
};

} // namespace comfygate::userdata
