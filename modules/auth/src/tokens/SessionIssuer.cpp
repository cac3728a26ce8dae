#include "SessionIssuer.h"

#include "AuthServices.h"
#include "RandomTokens.h"
#include "comfygate/HttpExchange.h"

#include <Poco/Net/HTTPCookie.h>

namespace comfygate::auth {
namespace {

void setCookie(HttpExchange& exchange, const std::string& name, const std::string& value, int maxAge)
{
    // Lax, not Strict: a browser sent from a link or from the sign-in page must arrive signed
    // in; state-changing requests are guarded by the Origin check (TokenAuthenticator).
    Poco::Net::HTTPCookie cookie(name, value);
    cookie.setPath("/");
    cookie.setHttpOnly(true);
    cookie.setSameSite(Poco::Net::HTTPCookie::SAME_SITE_LAX);
    cookie.setSecure(exchange.secure());
    cookie.setMaxAge(maxAge);
    exchange.response().addCookie(cookie);
}

} // namespace

SessionIssuer::Issued SessionIssuer::start(const User& user, HttpExchange& exchange, const std::string& cookieName)
{
    const std::int64_t now = unixNow();
    Issued issued;
    issued.jti = RandomTokens::hex(16);
    issued.expiresAt = now + _services.settings.sessionSeconds;
    JwtCodec::Claims claims;
    claims.subject = user.id;
    claims.jti = issued.jti;
    claims.issuedAt = now;
    claims.notBefore = now;
    claims.expiresAt = issued.expiresAt;
    claims.type = "session";
    issued.token = _services.jwt.sign(claims);
    _services.sessions.create(issued.jti, user.id, now, issued.expiresAt, exchange.client().toString(),
                              exchange.request().get("User-Agent", "").substr(0, 256));
    _services.users.touchLogin(user.id, now);
    setCookie(exchange, cookieName, issued.token, static_cast<int>(_services.settings.sessionSeconds));
    return issued;
}

void SessionIssuer::clearCookie(HttpExchange& exchange, const std::string& cookieName)
{
    setCookie(exchange, cookieName, "", 0);
}

} // namespace comfygate::auth
