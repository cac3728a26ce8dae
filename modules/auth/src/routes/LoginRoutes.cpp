#include "LoginRoutes.h"

#include "AuthPolicy.h"
#include "AuthServices.h"
#include "RandomTokens.h"
#include "ReturnPath.h"
#include "WebFiles.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/ModuleContext.h"

#include <Poco/JSON/Object.h>

#include <map>

namespace comfygate::auth {
namespace {

bool wantsHtml(HttpExchange& exchange)
{
    return exchange.request().get("Accept", "").find("text/html") != std::string::npos;
}

std::string field(const std::map<std::string, std::string>& fields, const std::string& name)
{
    const auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
}

Poco::JSON::Object::Ptr message(const std::string& text)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("message", text);
    return body;
}

/// The text with the characters that end an HTML attribute or element escaped.
std::string escapeHtml(const std::string& text)
{
    static const std::map<char, std::string> entities{
        {'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&#39;"}};
    std::string escaped;
    for (char c : text) {
        const auto entity = entities.find(c);
        escaped += entity == entities.end() ? std::string(1, c) : entity->second;
    }
    return escaped;
}

/// The sign-in page with its return path filled in.
std::string signInPage(const std::string& next)
{
    std::string page = webFile("signin.html");
    const std::string placeholder = "{{next}}";
    const std::string value = escapeHtml(next);
    for (auto at = page.find(placeholder); at != std::string::npos; at = page.find(placeholder, at + value.size()))
        page.replace(at, placeholder.size(), value);
    return page;
}

} // namespace

std::string LoginRoutes::createTempToken(AuthServices& services, const std::string& userId, const std::string& purpose,
                                         const std::string& payloadJson)
{
    const std::string raw = RandomTokens::base64Url(32);
    services.mfa.createTempToken(RandomTokens::sha256Hex(raw), userId, purpose, unixNow() + 300, payloadJson);
    return raw;
}

void LoginRoutes::registerAll(RouteRegistry& routes)
{
    auto login = RouteSpec::make("POST", "/login", Access::Public, "sign in with username and password (JSON or form)",
                                 [this](HttpExchange& e) { this->login(e); });
    login.bodyLimit = 16 * 1024;
    routes.add(login);
    routes.add(RouteSpec::make("GET", "/login", Access::Public,
                               "the sign-in page (password, then MFA); ?next= is the local page to return to",
                               [this](HttpExchange& e) { loginPage(e); }));
    routes.add(
        RouteSpec::make("GET", "/login.js", Access::Public, "the sign-in page's script", &LoginRoutes::loginScript));
    routes.add(RouteSpec::make("GET", "/logout", Access::Public, "end the current session and clear its cookie",
                               [this](HttpExchange& e) { logout(e); }));
    auto reg = RouteSpec::make(
        "POST", "/register", Access::Public,
        "create a user: the first from loopback only, then admins, or anyone with auth.allow_registration",
        [this](HttpExchange& e) { registerUser(e); });
    reg.bodyLimit = 16 * 1024;
    routes.add(reg);
}

void LoginRoutes::loginPage(HttpExchange& exchange)
{
    exchange.response().set("Content-Security-Policy",
                            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
                            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
    exchange.response().set("Cache-Control", "no-store");
    exchange.sendText(200, "text/html; charset=utf-8",
                      signInPage(ReturnPath::from(exchange.query("next").value_or("/"))));
}

void LoginRoutes::loginScript(HttpExchange& exchange)
{
    exchange.response().set("Cache-Control", "no-cache");
    exchange.sendText(200, "text/javascript; charset=utf-8", webFile("signin.js"));
}

void LoginRoutes::login(HttpExchange& exchange)
{
    const auto fields = exchange.fields();
    const std::string guest = field(fields, "guest_login");
    if (guest == "true" || guest == "1") {
        if (!_services.allowGuestJwt)
            throw HttpError(403, "guest login is disabled on this server");
        _services.users.ensureGuest(unixNow());
        finishLogin(*_services.users.findByName("guest"), exchange, "guest", field(fields, "next"));
        return;
    }
    const std::string username = field(fields, "username");
    const std::string password = field(fields, "password");
    if (username.empty() || password.empty())
        throw HttpError(400, "username and password are required");
    const User user = _checker.check(username, password, exchange.client());

    if (!_services.settings.mfaDisabled && user.mfaEnabled) {
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        body->set("mfa_required", true);
        body->set("mfa_temp_token", createTempToken(_services, user.id, "login", "{}"));
        exchange.sendJson(200, body);
        return;
    }
    if (!_services.settings.mfaDisabled && _services.settings.mfaEnforced &&
        _services.context.permissions().effective(user.username, user.role, user.groups).count("mfa_required")) {
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        body->set("mfa_setup_required", true);
        body->set("mfa_temp_token", createTempToken(_services, user.id, "setup", "{}"));
        exchange.sendJson(200, body);
        return;
    }
    finishLogin(user, exchange, "password", field(fields, "next"));
}

void LoginRoutes::finishLogin(const User& user, HttpExchange& exchange, const std::string& method,
                              const std::string& next)
{
    AuthPolicy(_services).requireLoginAllowed(user, exchange, method);
    const auto issued = _issuer.start(user, exchange);
    _services.audit(user.username, "login.success", user.username, exchange.client().toString());
    if (wantsHtml(exchange)) {
        exchange.redirect(ReturnPath::from(next));
        return;
    }
    auto body = message("Login successful");
    body->set("jwt_token", issued.token);
    body->set("redirect_url", "/");
    body->set("expires_at", issued.expiresAt);
    exchange.sendJson(200, body);
}

void LoginRoutes::logout(HttpExchange& exchange)
{
    const Principal& principal = exchange.principal();
    if (principal.authenticated && principal.tokenKind == "session") {
        _services.sessions.revoke(principal.sessionId);
        _services.swarmSessions.removeForCredential("session", principal.sessionId);
        _services.audit(principal.username, "logout", principal.username, exchange.client().toString());
    }
    SessionIssuer::clearCookie(exchange, "jwt_token");
    SessionIssuer::clearCookie(exchange, "swarm_token");
    if (wantsHtml(exchange)) {
        exchange.redirect("/login");
        return;
    }
    exchange.sendJson(200, message("Logged out"));
}

void LoginRoutes::registerUser(HttpExchange& exchange)
{
    const auto fields = exchange.fields();
    std::string username = field(fields, "new_user_username");
    std::string password = field(fields, "new_user_password");
    if (username.empty())
        username = field(fields, "username");
    if (password.empty())
        password = field(fields, "password");

    const Principal& caller = exchange.principal();
    const bool first = _services.users.countAccounts() == 0;
    std::string role = "user";
    if (first) {
        // Judged on the real client: the socket peer, or what a trusted proxy reported.
        if (!exchange.client().isLoopback())
            throw HttpError(403, "the first user can only be created from the server itself (loopback)");
        role = "owner";
    } else if (!(caller.authenticated && caller.has("can_manage_users")) && !_services.settings.allowRegistration) {
        throw HttpError(403, "Admin authentication required to register users");
    }
    if (username.empty() || password.empty())
        throw HttpError(400, "new_user_username and new_user_password are required");
    if (const auto problem = _services.passwordPolicy.problem(password, username))
        throw HttpError(400, *problem);
    AuthPolicy(_services).requireRegistrationAllowed(username, role, {role}, exchange);
    try {
        const User user = _services.users.create(username, role, {role}, _services.hasher.hash(password), unixNow());
        _services.users.ensureGuest(unixNow());
        _services.audit(caller.authenticated ? caller.username : username, "user.create", user.username,
                        exchange.client().toString(), "{\"role\":\"" + role + "\"}");
    } catch (const UserError& e) {
        throw HttpError(400, e.code() == "username_exists" ? "Username exists" : e.what(), e.code());
    } catch (const HasherBusy&) {
        throw HttpError(503, "the server is busy: retry in a moment", "busy");
    }
    if (wantsHtml(exchange)) {
        exchange.redirect("/login?registered=1");
        return;
    }
    exchange.sendJson(200, message("User registered"));
}

} // namespace comfygate::auth
