#include "SwarmRoutes.h"

#include "AuthServices.h"
#include "RandomTokens.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/ModuleContext.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace comfygate::auth {
namespace {

std::string required(const Poco::JSON::Object::Ptr& body, const std::string& name)
{
    if (!body->has(name) || !body->get(name).isString() || body->getValue<std::string>(name).empty())
        throw HttpError(400, "Missing required parameter '" + name + "'", "invalid_input");
    return body->getValue<std::string>(name);
}

Poco::JSON::Object::Ptr successText()
{
    // SwarmUI's Login, Logout and RegisterBasic answer success as the string "true".
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("success", "true");
    return body;
}

/// A principal's credential as a SwarmUI session binds to it: a session jti (32 hex) or an
/// API token hash (64 hex).
std::pair<std::string, std::string> credentialOf(const Principal& principal)
{
    if (principal.sessionId.size() == 64)
        return {"api_token", principal.sessionId};
    return {"session", principal.sessionId};
}

} // namespace

SwarmRoutes::SwarmRoutes(AuthServices& services)
    : _services(services), _checker(services), _issuer(services), _serverId(RandomTokens::hex(16))
{
}

void SwarmRoutes::registerAll(RouteRegistry& routes)
{
    using Method = void (SwarmRoutes::*)(HttpExchange&);
    const std::vector<std::tuple<const char*, Access, const char*, Method>> table{
        {"/API/GetNewSession", Access::Authenticated, "a SwarmUI session_id bound to the caller's credential",
         &SwarmRoutes::getNewSession},
        {"/API/Login", Access::Public, "sign in with username and password; sets the swarm_token cookie", &SwarmRoutes::login},
        {"/API/Logout", Access::Authenticated, "end the session and every session_id made from it", &SwarmRoutes::logout},
        {"/API/ChangePassword", Access::Authenticated, "change the password (old password checked, rate limited)",
         &SwarmRoutes::changePassword},
        {"/API/RegisterBasic", Access::Public, "self-registration, when auth.allow_registration is on",
         &SwarmRoutes::registerBasic},
    };
    for (const auto& [pattern, access, description, method] : table) {
        auto route = RouteSpec::make("POST", pattern, access, description,
                               [this, method = method](HttpExchange& e) { (this->*method)(e); });
        route.errorStyle = ErrorStyle::SwarmUI;
        route.bodyLimit = 16 * 1024;
        routes.add(route);
    }
}

void SwarmRoutes::getNewSession(HttpExchange& exchange)
{
    const Principal& principal = exchange.principal();
    if (principal.tokenKind == "swarm_session")
        throw HttpError(400, "GetNewSession needs the login cookie or a token, not a session_id", "basic_api");
    const auto [kind, credentialId] = credentialOf(principal);
    if (credentialId.empty())
        throw HttpError(401, "Invalid or unauthorized.", "invalid_login");
    const std::string sessionId = RandomTokens::hex(20);
    _services.swarmSessions.create(RandomTokens::sha256Hex(sessionId), principal.userId, kind, credentialId, unixNow());
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("session_id", sessionId);
    body->set("user_id", principal.username);
    body->set("output_append_user", true);
    body->set("version", "comfygate");
    body->set("server_id", _serverId);
    Poco::JSON::Array::Ptr permissions = new Poco::JSON::Array;
    for (const auto& permission : principal.permissions)
        permissions->add(permission);
    body->set("permissions", permissions);
    exchange.sendJson(200, body);
}

void SwarmRoutes::login(HttpExchange& exchange)
{
    const auto body = exchange.jsonBody();
    const User user = _checker.check(required(body, "username"), required(body, "password"), exchange.client());
    if (!_services.settings.mfaDisabled && user.mfaEnabled)
        throw HttpError(401, "this account uses MFA: sign in at /login, then call GetNewSession", "mfa_required");
    _issuer.start(user, exchange, "swarm_token");
    _services.audit(user.username, "login.success", user.username, exchange.client().toString(), "{\"api\":\"swarm\"}");
    exchange.sendJson(200, successText());
}

void SwarmRoutes::logout(HttpExchange& exchange)
{
    const Principal& principal = exchange.principal();
    const auto [kind, credentialId] = credentialOf(principal);
    if (kind == "session") {
        _services.sessions.revoke(credentialId);
        _services.swarmSessions.removeForCredential(kind, credentialId);
    }
    SessionIssuer::clearCookie(exchange, "swarm_token");
    _services.audit(principal.username, "logout", principal.username, exchange.client().toString());
    exchange.sendJson(200, successText());
}

void SwarmRoutes::changePassword(HttpExchange& exchange)
{
    const Principal& principal = exchange.principal();
    const auto body = exchange.jsonBody();
    const std::string newPassword = required(body, "newPassword");
    const User user = _checker.check(principal.username, required(body, "oldPassword"), exchange.client());
    if (const auto problem = _services.passwordPolicy.problem(newPassword, user.username))
        throw HttpError(400, *problem, "invalid_input");
    _services.users.setPassword(user.id, _services.hasher.hash(newPassword));
    // Other sessions end with the old password; the one making the change stays.
    const auto [kind, credentialId] = credentialOf(principal);
    _services.sessions.revokeForUser(user.id, kind == "session" ? credentialId : "");
    _services.audit(user.username, "password.change", user.username, exchange.client().toString());
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("success", true);
    exchange.sendJson(200, answer);
}

void SwarmRoutes::registerBasic(HttpExchange& exchange)
{
    const Principal& caller = exchange.principal();
    if (!_services.settings.allowRegistration && !(caller.authenticated && caller.has("can_manage_users")))
        throw HttpError(403, "registration is closed on this server", "registration_failed");
    const auto body = exchange.jsonBody();
    const std::string username = required(body, "username");
    const std::string password = required(body, "password");
    if (const auto problem = _services.passwordPolicy.problem(password, username))
        throw HttpError(400, *problem, "invalid_input");
    try {
        _services.users.create(username, "user", {"user"}, _services.hasher.hash(password), unixNow());
    } catch (const UserError& e) {
        throw HttpError(400, e.code() == "username_exists" ? "That username is taken." : e.what(),
                        e.code() == "username_exists" ? "username_exists" : "invalid_input");
    }
    _services.audit(caller.authenticated ? caller.username : username, "user.create", username,
                    exchange.client().toString(), "{\"api\":\"swarm\"}");
    exchange.sendJson(200, successText());
}

} // namespace comfygate::auth
