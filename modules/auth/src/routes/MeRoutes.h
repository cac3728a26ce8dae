#pragma once

#include "MeAnswer.h"

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::auth {

struct AuthServices;

/// Who am I and my sessions: GET /mss-login/api/me (and /api/mss-login/api/me; the guest
/// shape without a credential), GET /mss-login/me/sessions, POST /mss-login/me/sessions/revoke,
/// POST /mss-login/api/me/password.
class MeRoutes
{
public:
    explicit MeRoutes(AuthServices& services);
    void registerAll(RouteRegistry& routes);

private:
    void me(HttpExchange& exchange);
    void sessions(HttpExchange& exchange);
    void revoke(HttpExchange& exchange);
    void changePassword(HttpExchange& exchange);

    AuthServices& _services;
    const MeAnswer _answer;
};

} // namespace comfygate::auth
