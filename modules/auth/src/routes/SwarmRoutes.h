#pragma once

#include "CredentialChecker.h"
#include "SessionIssuer.h"

#include <Poco/JSON/Object.h>

#include <string>

namespace comfygate {
class HttpExchange;
class PermissionRegistry;
class RouteRegistry;
namespace swarm {
class Call;
}
} // namespace comfygate

namespace comfygate::auth {

struct AuthServices;

/// SwarmUI's session routes, registered with swarm::addRoute (POST /API/<Name>, the kernel's
/// SwarmUI dispatcher in front): GetNewSession, Login, RegisterBasic (sessionless), Logout
/// (`fundamental`) and ChangePassword (`edit_user_settings`). A session_id is a bearer
/// credential bound to the credential that created it (a session or an API token) and dies
/// with it, unlike SwarmUI's, which outlives the login cookie.
class SwarmRoutes
{
public:
    explicit SwarmRoutes(AuthServices& services);
    void registerAll(RouteRegistry& routes);

    /// The SwarmUI permission ids the auth module's /API/ routes use, with SwarmUI's default tiers.
    static void declarePermissions(PermissionRegistry& permissions);

private:
    Poco::JSON::Object::Ptr getNewSession(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr login(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr logout(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr changePassword(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr registerBasic(swarm::Call& call, HttpExchange& exchange);

    AuthServices& _services;
    CredentialChecker _checker;
    SessionIssuer _issuer;
    std::string _serverId;
};

} // namespace comfygate::auth
