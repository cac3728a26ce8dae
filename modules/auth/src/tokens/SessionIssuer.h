#pragma once

#include <cstdint>
#include <string>

namespace comfygate {
class HttpExchange;
}

namespace comfygate::auth {

struct AuthServices;
struct User;

/// Starts sessions: a fresh jti, a signed session JWT, the session row, and the `jwt_token`
/// cookie (HttpOnly, SameSite=Lax, Secure over HTTPS). Every login and re-authentication
/// gets a new session (ASVS 7.2.4).
class SessionIssuer
{
public:
    struct Issued
    {
        std::string token;
        std::string jti;
        std::int64_t expiresAt = 0;
    };

    explicit SessionIssuer(AuthServices& services) : _services(services) {}

    /// Creates the session for `user` and sets the cookie(s) on the exchange's response.
    /// `cookieName` is "jwt_token" (MSS-Login) or "swarm_token" (SwarmUI).
    Issued start(const User& user, HttpExchange& exchange, const std::string& cookieName = "jwt_token");

    /// Sets an expired cookie so the browser forgets it.
    static void clearCookie(HttpExchange& exchange, const std::string& cookieName);

private:
    AuthServices& _services;
};

} // namespace comfygate::auth
