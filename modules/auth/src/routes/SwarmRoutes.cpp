#include "SwarmRoutes.h"

#include "AuthPolicy.h"
#include "AuthServices.h"
#include "PasswordChange.h"
#include "RandomTokens.h"
#include "SwarmBasicRoute.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/ModuleContext.h"
#include "comfygate/SwarmApi.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace comfygate::auth {
namespace {

/// SwarmUI refuses a missing parameter (Call does); comfygate also refuses an empty one.
std::string nonEmpty(const swarm::Call& call, const std::string& name)
{
    std::string value = call.string(name);
    if (value.empty())
        throw HttpError(400, "Missing required parameter '" + name + "'", "invalid_input");
    return value;
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

void SwarmRoutes::declarePermissions(PermissionRegistry& permissions)
{
    using swarm::Tier;
    using swarm::tierRoles;
    permissions.declare({"fundamental", "the basics of a SwarmUI session (Logout)", "swarm", tierRoles(Tier::Guest)});
    permissions.declare(
        {"read_user_settings", "read your own settings and sign-in tokens (SwarmUI)", "swarm", tierRoles(Tier::Guest)});
    permissions.declare({"edit_user_settings", "change your own settings, password and sign-in tokens (SwarmUI)",
                         "swarm", tierRoles(Tier::User)});
}

void SwarmRoutes::registerAll(RouteRegistry& routes)
{
    using swarm::Parameter;
    using swarm::ParamType;
    const auto bind = [this](Poco::JSON::Object::Ptr (SwarmRoutes::*method)(swarm::Call&, HttpExchange&)) {
        return [this, method](swarm::Call& call, HttpExchange& exchange, const swarm::Emit&) {
            return (this->*method)(call, exchange);
        };
    };

    auto getNewSession = swarmBasicRoute("GetNewSession", "",
                                         "A SwarmUI `session_id` bound to the caller's credential: the login cookie "
                                         "(`swarm_token`, `jwt_token`) or an API token, never another session_id.");
    getNewSession.sessionless = true;
    getNewSession.returnExample = R"({
    "session_id": "0123456789abcdef0123456789abcdef01234567",
    "user_id": "alice",
    "output_append_user": true,
    "version": "comfygate",
    "server_id": "0123456789abcdef0123456789abcdef",
    "permissions": ["fundamental", "read_user_settings"]
})";
    swarm::addRoute(routes, getNewSession, bind(&SwarmRoutes::getNewSession));

    auto login = swarmBasicRoute("Login", "",
                                 "Sign in with username and password; sets the `swarm_token` cookie. "
                                 "Accounts with MFA sign in at /login instead.");
    login.sessionless = true;
    login.nonFinal = true;
    login.parameters = {Parameter::needed("username", ParamType::String, "the account's name"),
                        Parameter::needed("password", ParamType::String, "the account's password")};
    login.returnExample = R"({"success": "true"})";
    swarm::addRoute(routes, login, bind(&SwarmRoutes::login));

    auto registerBasic =
        swarmBasicRoute("RegisterBasic", "",
                        "Self-registration (when `auth.allow_registration` is on, or by a user manager). "
                        "Does not sign in.");
    registerBasic.sessionless = true;
    registerBasic.nonFinal = true;
    registerBasic.parameters = {Parameter::needed("username", ParamType::String, "the new account's name"),
                                Parameter::needed("password", ParamType::String, "the new account's password")};
    registerBasic.returnExample = R"({"success": "true"})";
    swarm::addRoute(routes, registerBasic, bind(&SwarmRoutes::registerBasic));

    auto logout = swarmBasicRoute("Logout", "fundamental",
                                  "End the sign-in session and every session_id made from it; clears the cookie.");
    logout.userUpdate = true;
    logout.nonFinal = true;
    logout.returnExample = R"({"success": "true"})";
    swarm::addRoute(routes, logout, bind(&SwarmRoutes::logout));

    auto changePassword = swarmBasicRoute("ChangePassword", "edit_user_settings",
                                          "Change your password (the old one is checked, attempts are rate limited). "
                                          "Your other sign-in sessions end.");
    changePassword.userUpdate = true;
    changePassword.nonFinal = true;
    changePassword.parameters = {Parameter::needed("oldPassword", ParamType::String, "the current password"),
                                 Parameter::needed("newPassword", ParamType::String, "the new password")};
    changePassword.returnExample = R"({"success": true})";
    swarm::addRoute(routes, changePassword, bind(&SwarmRoutes::changePassword));
}

Poco::JSON::Object::Ptr SwarmRoutes::getNewSession(swarm::Call&, HttpExchange& exchange)
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
    return body;
}

Poco::JSON::Object::Ptr SwarmRoutes::login(swarm::Call& call, HttpExchange& exchange)
{
    const User user = _checker.check(nonEmpty(call, "username"), nonEmpty(call, "password"), exchange.client());
    if (!_services.settings.mfaDisabled && user.mfaEnabled)
        throw HttpError(401, "this account uses MFA: sign in at /login, then call GetNewSession", "mfa_required");
    AuthPolicy(_services).requireLoginAllowed(user, exchange, "password");
    _issuer.start(user, exchange, "swarm_token");
    _services.audit(user.username, "login.success", user.username, exchange.client().toString(), "{\"api\":\"swarm\"}");
    return successText();
}

Poco::JSON::Object::Ptr SwarmRoutes::logout(swarm::Call&, HttpExchange& exchange)
{
    const Principal& principal = exchange.principal();
    const auto [kind, credentialId] = credentialOf(principal);
    if (kind == "session") {
        _services.sessions.revoke(credentialId);
        _services.swarmSessions.removeForCredential(kind, credentialId);
    }
    SessionIssuer::clearCookie(exchange, "swarm_token");
    _services.audit(principal.username, "logout", principal.username, exchange.client().toString());
    return successText();
}

Poco::JSON::Object::Ptr SwarmRoutes::changePassword(swarm::Call& call, HttpExchange& exchange)
{
    const Principal& principal = exchange.principal();
    const std::string newPassword = nonEmpty(call, "newPassword");
    // Other sessions end with the old password; the one making the change stays.
    const auto [kind, credentialId] = credentialOf(principal);
    PasswordChange(_services).apply(principal.username, nonEmpty(call, "oldPassword"), newPassword, exchange.client(),
                                    kind == "session" ? credentialId : "");
    return swarm::success();
}

Poco::JSON::Object::Ptr SwarmRoutes::registerBasic(swarm::Call& call, HttpExchange& exchange)
{
    const Principal& caller = exchange.principal();
    if (!_services.settings.allowRegistration && !(caller.authenticated && caller.has("can_manage_users")))
        throw HttpError(403, "registration is closed on this server", "registration_failed");
    const std::string username = nonEmpty(call, "username");
    const std::string password = nonEmpty(call, "password");
    if (const auto problem = _services.passwordPolicy.problem(password, username))
        throw HttpError(400, *problem, "invalid_input");
    AuthPolicy(_services).requireRegistrationAllowed(username, "user", {"user"}, exchange);
    try {
        _services.users.create(username, "user", {"user"}, _services.hasher.hash(password), unixNow());
    } catch (const UserError& e) {
        throw HttpError(400, e.code() == "username_exists" ? "That username is taken." : e.what(),
                        e.code() == "username_exists" ? "username_exists" : "invalid_input");
    }
    _services.audit(caller.authenticated ? caller.username : username, "user.create", username,
                    exchange.client().toString(), "{\"api\":\"swarm\"}");
    return successText();
}

} // namespace comfygate::auth
