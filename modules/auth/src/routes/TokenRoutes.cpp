#include "TokenRoutes.h"

#include "ApiTokenCodec.h"
#include "AuthPolicy.h"
#include "AuthServices.h"
#include "IsoTime.h"
#include "LoginRoutes.h"
#include "SecondFactor.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/ModuleContext.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace comfygate::auth {
namespace {

std::string stringField(const Poco::JSON::Object::Ptr& body, const std::string& name)
{
    if (!body->has(name) || body->get(name).isEmpty())
        return {};
    const auto value = body->get(name);
    if (!value.isString())
        throw HttpError(400, name + " must be a string");
    return value.convert<std::string>();
}

std::set<std::string> permissionsOf(AuthServices& services, const User& user)
{
    return services.context.permissions().effective(user.username, user.role, user.groups);
}

} // namespace

void TokenRoutes::registerAll(RouteRegistry& routes)
{
    auto generate = RouteSpec::make("POST", "/mss-login/generate_token", Access::Public,
                              "create an API token with username + password (or a session); MFA in the same route",
                              [this](HttpExchange& e) { this->generate(e); });
    generate.aliases = {"/generate_token"};
    generate.bodyLimit = 16 * 1024;
    routes.add(generate);

    auto list = RouteSpec::make("GET", "/mss-login/api/tokens", Access::Authenticated, "the caller's API tokens (no secrets)",
                          [this](HttpExchange& e) { this->list(e); });
    list.aliases = {"/api/mss-login/api/tokens"};
    routes.add(list);
    auto revoke = RouteSpec::make("DELETE", "/mss-login/api/tokens", Access::Authenticated,
                            "revoke one of the caller's API tokens by hash prefix",
                            [this](HttpExchange& e) { this->revoke(e); });
    revoke.aliases = {"/api/mss-login/api/tokens"};
    routes.add(revoke);
}

std::int64_t TokenRoutes::expireHours(AuthServices& services, const Poco::JSON::Object::Ptr& body, const User& user)
{
    std::int64_t hours = services.settings.apiTokenDefaultHours;
    if (body->has("expire_hours") && !body->get("expire_hours").isEmpty()) {
        try {
            hours = body->get("expire_hours").convert<std::int64_t>();
        } catch (...) {
            throw HttpError(400, "expire_hours must be a whole number of hours (0 = never expires)");
        }
    }
    if (hours < 0)
        throw HttpError(400, "expire_hours must not be negative");
    if (hours == 0) {
        if (!permissionsOf(services, user).count("can_have_non_expiring_jwt"))
            throw HttpError(403, "tokens that never expire need the can_have_non_expiring_jwt permission");
        return 0;
    }
    return std::min(hours, services.settings.apiTokenMaxHours);
}

void TokenRoutes::requirePermission(AuthServices& services, const User& user)
{
    if (!permissionsOf(services, user).count("can_have_api_tokens"))
        throw HttpError(403, "your role may not create API tokens (permission can_have_api_tokens)");
}

Poco::JSON::Object::Ptr TokenRoutes::issue(AuthServices& services, const User& user, const std::string& label,
                                           std::int64_t hours, HttpExchange& exchange)
{
    requirePermission(services, user);
    const std::int64_t seconds = AuthPolicy(services).tokenLifetime(user, label, hours * 3600, exchange);
    return create(services, user, label, seconds, hours * 3600, exchange.client().toString());
}

Poco::JSON::Object::Ptr TokenRoutes::issue(AuthServices& services, const User& user, const std::string& label,
                                           std::int64_t hours, const std::string& client)
{
    requirePermission(services, user);
    return create(services, user, label, hours * 3600, hours * 3600, client);
}

Poco::JSON::Object::Ptr TokenRoutes::create(AuthServices& services, const User& user, const std::string& label,
                                            std::int64_t seconds, std::int64_t askedSeconds, const std::string& client)
{
    const std::int64_t now = unixNow();
    const std::string token = ApiTokenCodec::generate();
    services.apiTokens.create(ApiTokenCodec::hash(token), user.id, label, now, seconds == 0 ? 0 : now + seconds);
    Poco::JSON::Object detail;
    detail.set("expires_in_seconds", seconds);
    if (seconds != askedSeconds)
        detail.set("capped_by_policy_from", askedSeconds);
    std::ostringstream detailText;
    detail.stringify(detailText);
    services.audit(user.username, "token.create", ApiTokenCodec::displayPrefix(ApiTokenCodec::hash(token)), client,
                   detailText.str());
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("message", "API token created.");
    body->set("jwt_token", token);
    // MSS-Login's whole hours; a policy may cap the lifetime to a fraction of an hour.
    if (seconds % 3600 == 0)
        body->set("expires_in_hours", seconds / 3600);
    else
        body->set("expires_in_hours", static_cast<double>(seconds) / 3600.0);
    body->set("expires_in_seconds", seconds);
    return body;
}

void TokenRoutes::generate(HttpExchange& exchange)
{
    const auto body = exchange.jsonBody();
    std::string label = stringField(body, "label");
    if (label.size() > 100)
        throw HttpError(400, "label is longer than 100 characters");

    const std::string tempToken = stringField(body, "mfa_temp_token");
    if (!tempToken.empty()) {
        // Step 2 of the MFA challenge, in the same route: the token's label and lifetime
        // were fixed in step 1.
        const auto passed = SecondFactor(_services).complete(tempToken, stringField(body, "code"),
                                                             stringField(body, "backup_code"), "token",
                                                             exchange.client());
        const auto payload = Poco::JSON::Parser().parse(passed.payloadJson).extract<Poco::JSON::Object::Ptr>();
        exchange.sendJson(200, issue(_services, passed.user, payload->optValue<std::string>("label", ""),
                                     payload->optValue<std::int64_t>("expire_hours", 0), exchange));
        return;
    }

    const Principal& caller = exchange.principal();
    const std::string username = stringField(body, "username");
    std::optional<User> user;
    if (!username.empty() || caller.tokenKind != "session") {
        if (username.empty())
            throw HttpError(401, "send username and password, or call this route with a session");
        user = _checker.check(username, stringField(body, "password"), exchange.client());
        if (!_services.settings.mfaDisabled && user->mfaEnabled) {
            const std::int64_t hours = expireHours(_services, body, *user);
            Poco::JSON::Object::Ptr payload = new Poco::JSON::Object;
            payload->set("label", label);
            payload->set("expire_hours", hours);
            std::ostringstream text;
            payload->stringify(text);
            Poco::JSON::Object::Ptr challenge = new Poco::JSON::Object;
            challenge->set("mfa_required", true);
            challenge->set("mfa_temp_token", LoginRoutes::createTempToken(_services, user->id, "token", text.str()));
            challenge->set("expire_hours", hours);
            exchange.sendJson(200, challenge);
            return;
        }
    } else {
        user = _services.users.findById(caller.userId);
        if (!user)
            throw HttpError(401, "the session's user no longer exists");
    }
    exchange.sendJson(200, issue(_services, *user, label, expireHours(_services, body, *user), exchange));
}

void TokenRoutes::list(HttpExchange& exchange)
{
    Poco::JSON::Array::Ptr tokens = new Poco::JSON::Array;
    for (const auto& token : _services.apiTokens.listForUser(exchange.principal().userId)) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
        item->set("token_hash_prefix", ApiTokenCodec::displayPrefix(token.hash));
        item->set("label", token.label);
        item->set("created_iso", isoTime(token.createdAt));
        item->set("expires_iso", token.expiresAt == 0 ? Poco::Dynamic::Var() : Poco::Dynamic::Var(isoTime(token.expiresAt)));
        item->set("last_used_iso", isoTime(token.lastUsedAt));
        tokens->add(item);
    }
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("tokens", tokens);
    exchange.sendJson(200, body);
}

void TokenRoutes::revoke(HttpExchange& exchange)
{
    const auto body = exchange.jsonBody();
    const std::string prefix = stringField(body, "token_hash_prefix");
    std::size_t revoked = 0;
    try {
        revoked = _services.apiTokens.revokeByPrefix(exchange.principal().userId, prefix);
    } catch (const AmbiguousPrefix&) {
        throw HttpError(400, "token_hash_prefix matches more than one token: send more characters");
    } catch (const std::invalid_argument&) {
        throw HttpError(400, "token_hash_prefix must be at least 8 hexadecimal characters");
    }
    if (revoked == 0)
        throw HttpError(404, "no token of yours has that prefix");
    _services.audit(exchange.principal().username, "token.revoke", prefix, exchange.client().toString());
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("message", "Token revoked.");
    exchange.sendJson(200, answer);
}

} // namespace comfygate::auth
