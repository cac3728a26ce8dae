#pragma once

#include "CredentialChecker.h"
#include "SessionIssuer.h"

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::auth {

struct AuthServices;

/// MSS-Login's browser and API login: POST /login (JSON or form; MFA challenge; guest login),
/// GET /logout (revokes the session), POST /register (first user from loopback only, then
/// admins, or anyone when auth.allow_registration is on), GET /login (the sign-in page,
/// share/www/signin.html and signin.js, which returns to its local `?next=` page).
class LoginRoutes
{
public:
    explicit LoginRoutes(AuthServices& services) : _services(services), _checker(services), _issuer(services) {}
    void registerAll(RouteRegistry& routes);

    /// A single-use temporary token for the second login step; returns the raw value.
    static std::string createTempToken(AuthServices& services, const std::string& userId, const std::string& purpose,
                                       const std::string& payloadJson);

private:
    void login(HttpExchange& exchange);
    void logout(HttpExchange& exchange);
    void registerUser(HttpExchange& exchange);
    void loginPage(HttpExchange& exchange);
    static void loginScript(HttpExchange& exchange);
    /// Asks the `login` hook (`method`: "password", "guest"), then starts the session; a
    /// browser's form post is sent on to `next` (a local path, else "/").
    void finishLogin(const User& user, HttpExchange& exchange, const std::string& method, const std::string& next);

    AuthServices& _services;
    CredentialChecker _checker;
    SessionIssuer _issuer;
};

} // namespace comfygate::auth
