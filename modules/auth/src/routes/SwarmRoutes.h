#pragma once

#include "CredentialChecker.h"
#include "SessionIssuer.h"

#include <string>

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::auth {

struct AuthServices;

/// SwarmUI's session routes (POST /API/<Name>, errors as {"error","error_id"}):
/// GetNewSession, Login, Logout, ChangePassword, RegisterBasic. A session_id is a bearer
/// credential bound to the credential that created it (a session or an API token) and
/// dies with it, unlike SwarmUI's, which outlives the login cookie.
class SwarmRoutes
{
public:
    explicit SwarmRoutes(AuthServices& services);
    void registerAll(RouteRegistry& routes);

private:
    void getNewSession(HttpExchange& exchange);
    void login(HttpExchange& exchange);
    void logout(HttpExchange& exchange);
    void changePassword(HttpExchange& exchange);
    void registerBasic(HttpExchange& exchange);

    AuthServices& _services;
    CredentialChecker _checker;
    SessionIssuer _issuer;
    std::string _serverId;
};

} // namespace comfygate::auth
