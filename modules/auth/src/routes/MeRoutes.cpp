#include "MeRoutes.h"

#include "AuthServices.h"
#include "IsoTime.h"
#include "PasswordChange.h"
#include "comfygate/Config.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/ModuleContext.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace comfygate::auth {

void MeRoutes::registerAll(RouteRegistry& routes)
{
    auto me = RouteSpec::make("GET", "/mss-login/api/me", Access::Public,
                        "the caller: username, role, groups, permissions, MFA state, experimental flags",
                        [this](HttpExchange& e) { this->me(e); });
    me.apiTwin = true;
    routes.add(me);
    routes.add(RouteSpec::make("GET", "/mss-login/me/sessions", Access::Authenticated, "the caller's active sessions",
                         [this](HttpExchange& e) { sessions(e); }));
    routes.add(RouteSpec::make("POST", "/mss-login/me/sessions/revoke", Access::Authenticated,
                         "end one of the caller's sessions by jti", [this](HttpExchange& e) { revoke(e); }));
    auto password = RouteSpec::make("POST", "/mss-login/api/me/password", Access::Permission,
                                    "change your own password (current_password, new_password); your other "
                                    "sessions end",
                                    [this](HttpExchange& e) { changePassword(e); }, "edit_user_settings");
    password.apiTwin = true;
    password.bodyLimit = 16 * 1024;
    routes.add(password);
}

namespace {

std::vector<std::pair<std::string, bool>> experimentalFeatures(const Config& config)
{
    const bool master = config.getBool("experimental.enabled", false);
    std::vector<std::pair<std::string, bool>> features;
    for (const char* feature : {"mfa", "s3", "model_isolation"})
        features.emplace_back(feature, master || config.getBool(std::string("experimental.") + feature, false));
    return features;
}

/// The error member that names the request field an error is about.
std::string fieldOf(const std::string& name)
{
    return "{\"field\":\"" + name + "\"}";
}

} // namespace

MeRoutes::MeRoutes(AuthServices& services)
    : _services(services), _answer(experimentalFeatures(services.context.globalConfig()))
{
}

void MeRoutes::me(HttpExchange& exchange)
{
    const Principal& principal = exchange.principal();
    std::string text;
    if (principal.authenticated)
        text = _answer.text(principal, principal.groups, principal.permissions);
    else
        text = _answer.text(principal, {"guest"}, _services.context.permissions().effective("guest", "guest", {"guest"}));
    exchange.sendText(200, "application/json", text);
}

void MeRoutes::sessions(HttpExchange& exchange)
{
    const Principal& principal = exchange.principal();
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& session : _services.sessions.listForUser(principal.userId, unixNow())) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
        item->set("jti", session.jti);
        item->set("created_at_iso", isoTime(session.createdAt));
        item->set("last_used_at_iso", isoTime(session.lastUsedAt));
        item->set("exp_at_iso", isoTime(session.expiresAt));
        item->set("client", session.clientAddress);
        item->set("user_agent", session.userAgent);
        item->set("is_current", principal.tokenKind == "session" && session.jti == principal.sessionId);
        list->add(item);
    }
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("sessions", list);
    exchange.sendJson(200, body);
}

void MeRoutes::changePassword(HttpExchange& exchange)
{
    const auto body = exchange.jsonBody();
    const auto text = [&](const std::string& name) {
        const auto value = body->get(name);
        if (!value.isString() || value.extract<std::string>().empty())
            throw HttpError(400, name + " is required (a string)").withExtra(fieldOf(name));
        return value.extract<std::string>();
    };
    const std::string current = text("current_password");
    const std::string next = text("new_password");
    const Principal& principal = exchange.principal();
    try {
        PasswordChange(_services).apply(principal.username, current, next, exchange.client(),
                                        principal.tokenKind == "session" ? principal.sessionId : "");
    } catch (const HttpError& e) {
        // The console puts an error next to the field named in "field".
        if (e.status() == 401)
            throw HttpError(400, "the current password is wrong").withExtra(fieldOf("current_password"));
        if (e.status() == 400)
            throw HttpError(400, e.what()).withExtra(fieldOf("new_password"));
        throw;
    }
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("message", "Password changed. Your other sessions have ended.");
    exchange.sendJson(200, answer);
}

void MeRoutes::revoke(HttpExchange& exchange)
{
    const auto body = exchange.jsonBody();
    const std::string jti = body->optValue<std::string>("jti", "");
    const auto session = jti.empty() ? std::nullopt : _services.sessions.find(jti);
    if (!session || session->userId != exchange.principal().userId)
        throw HttpError(404, "you have no session with that jti");
    _services.sessions.revoke(jti);
    _services.swarmSessions.removeForCredential("session", jti);
    _services.audit(exchange.principal().username, "session.revoke", jti, exchange.client().toString());
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("status", "ok");
    exchange.sendJson(200, answer);
}

} // namespace comfygate::auth
