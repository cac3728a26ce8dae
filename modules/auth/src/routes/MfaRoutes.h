#pragma once

#include "SessionIssuer.h"
#include "UserStore.h"

#include <optional>

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::auth {

struct AuthServices;

/// TOTP MFA (RFC 6238) under /mss-login/api/mfa/: setup (provisioning URI and backup codes;
/// the secret is sealed at rest), verify-setup, verify (the second login step) and disable
/// (needs the password and a current code). Setup and verify-setup accept a session or the
/// mfa_temp_token of a login that must enrol first.
class MfaRoutes
{
public:
    explicit MfaRoutes(AuthServices& services) : _services(services), _issuer(services) {}
    void registerAll(RouteRegistry& routes);

private:
    void setup(HttpExchange& exchange);
    void verifySetup(HttpExchange& exchange);
    void verify(HttpExchange& exchange);
    void disable(HttpExchange& exchange);
    /// The user a setup call is for: the session's, or the temp token's (purpose "setup").
    User setupUser(HttpExchange& exchange, const std::string& tempToken);
    void requireAvailable() const;

    AuthServices& _services;
    SessionIssuer _issuer;
};

} // namespace comfygate::auth
