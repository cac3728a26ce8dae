#pragma once

#include "ModelCatalog.h"
#include "comfygate/services/ModelGrants.h"

#include <Poco/JSON/Object.h>

#include <string>

namespace comfygate {
class Audit;
class HttpExchange;
class RouteRegistry;
class ServiceRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// MSS-Login's model sharing: list, grant and revoke models per user
/// (`/mss-login/api/users/{name}/shared-items`) and, a comfygate extension, per role or group
/// (`/mss-login/api/groups/{group}/shared-items`). The owner, or an admin holding
/// can_manage_model_sharing, may call them; every change is audited.
class SharedItemsRoutes
{
public:
    SharedItemsRoutes(services::ModelGrants& grants, ModelCatalog& catalog, ServiceRegistry& services, Audit& audit)
        : _grants(grants), _catalog(catalog), _services(services), _audit(audit)
    {
    }
    void registerAll(RouteRegistry& routes);

    /// The JSON of one grant as MSS-Login lists it (plus comfygate's `expires_at`).
    static Poco::JSON::Object::Ptr describe(const services::ModelGrant& grant);

private:
    /// Whose grants a request names: a user (resolved through "auth.users") or a group.
    struct Subject
    {
        services::GrantSubject kind;
        std::string id;    ///< user id or group name
        std::string label; ///< username or group name, for answers and audit
    };

    void list(HttpExchange& exchange, const Subject& subject);
    void add(HttpExchange& exchange, const Subject& subject);
    void remove(HttpExchange& exchange, const Subject& subject);
    Subject userSubject(HttpExchange& exchange);
    Subject groupSubject(HttpExchange& exchange);
    void checkFolderExists(const std::string& folder);
    void audit(HttpExchange& exchange, const std::string& action, const Subject& subject, const std::string& folder,
               const std::string& item);

    services::ModelGrants& _grants;
    ModelCatalog& _catalog;
    ServiceRegistry& _services;
    Audit& _audit;
};

} // namespace comfygate::comfyproxy
