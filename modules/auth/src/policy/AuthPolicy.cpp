#include "AuthPolicy.h"

#include "ApiTokenStore.h"
#include "AuthServices.h"
#include "TokenAuthenticator.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/ModuleContext.h"
#include "comfygate/Policy.h"
#include "comfygate/PolicySubject.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Logger.h>

#include <cmath>
#include <optional>
#include <set>
#include <sstream>

namespace comfygate::auth {
namespace {

const char* const subjectExample = R"({
  "user_id": "3f2a9c0d1e4b5a6c", "username": "alice", "role": "user", "groups": ["user", "staff"],
  "mfa": true, "sfw_check": true, "token_kind": "session",
  "account_created_at": 1760000000, "account_age_days": 57,
  "address": "203.0.113.7", "via_trusted_proxy": false
})";

std::string jsonText(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

std::string reasonDetail(const std::string& reason)
{
    Poco::JSON::Object detail;
    detail.set("reason", reason);
    return jsonText(detail);
}

/// The client's User-Agent, capped like the session row's copy.
std::string userAgent(HttpExchange& exchange)
{
    return exchange.request().get("User-Agent", "").substr(0, 256);
}

/// A handler's `expires_in_seconds` as whole seconds; nothing when it is not a positive
/// whole number.
std::optional<std::int64_t> wholeSeconds(const Poco::Dynamic::Var& value)
{
    if (value.isEmpty() || !value.isNumeric())
        return std::nullopt;
    const double number = value.convert<double>();
    if (!(number >= 1) || number != std::floor(number) || number > 1e15)
        return std::nullopt;
    return static_cast<std::int64_t>(number);
}

/// What a modifying `token` handler changed besides lowering the expiry; empty when nothing.
std::string forbiddenChange(const Poco::JSON::Object& asked, const Poco::JSON::Object& answered)
{
    std::set<std::string> names;
    for (const auto& [name, value] : asked)
        names.insert(name);
    for (const auto& [name, value] : answered)
        names.insert(name);
    for (const auto& name : names) {
        if (name == "expires_in_seconds")
            continue;
        if (!asked.has(name) || !answered.has(name) || jsonText(asked.get(name)) != jsonText(answered.get(name)))
            return "changed '" + name + "'";
    }
    return {};
}

} // namespace

void AuthPolicy::declareHooks(Policy& policy)
{
    policy.declareHook({"login", "may this user sign in now (time, address, group); the reason is shown",
                        FailMode::Closed, subjectExample,
                        R"({"method": "password", "address": "203.0.113.7", "user_agent": "Mozilla/5.0"})"});
    policy.declareHook({"register", "may this account be created", FailMode::Closed,
                        R"({"user_id": "", "username": "", "role": "guest", "groups": [], "mfa": false,
  "sfw_check": true, "token_kind": "", "address": "203.0.113.7", "via_trusted_proxy": false})",
                        R"({"username": "bob", "role": "user", "groups": ["user"], "by_admin": false,
  "address": "203.0.113.7"})"});
    policy.declareHook({"token", "allow, deny or rewrite an API token request (expiry, count)", FailMode::Closed,
                        subjectExample,
                        R"({"label": "ci runner", "expires_in_seconds": 2592000, "existing_count": 2})"});
}

Poco::JSON::Object::Ptr AuthPolicy::subjectOf(const User& user, HttpExchange& exchange)
{
    auto subject = policySubject(TokenAuthenticator::principalOf(user, "session", ""));
    subject->set("address", exchange.client().toString());
    subject->set("via_trusted_proxy", exchange.viaTrustedProxy());
    return subject;
}

void AuthPolicy::refuse(const std::string& action, const std::string& actor, const std::string& target,
                        HttpExchange& exchange, std::string reason, const std::string& fallback)
{
    if (reason.empty())
        reason = fallback;
    _services.audit(actor, action, target, exchange.client().toString(), reasonDetail(reason));
    throw HttpError(403, reason, "policy_denied");
}

void AuthPolicy::requireLoginAllowed(const User& user, HttpExchange& exchange, const std::string& method)
{
    Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
    request->set("method", method);
    request->set("address", exchange.client().toString());
    request->set("user_agent", userAgent(exchange));
    const Verdict verdict = _services.context.policy().call("login", subjectOf(user, exchange), request);
    if (verdict.allowed())
        return; // a rewritten request has nothing to change in a sign-in
    loginFailed(user.username, exchange.client(), "policy_denied");
    refuse("login.denied", user.username, user.username, exchange, verdict.reason, "sign-in refused by policy");
}

void AuthPolicy::requireRegistrationAllowed(const std::string& username, const std::string& role,
                                            const std::vector<std::string>& groups, HttpExchange& exchange)
{
    const Principal& caller = exchange.principal();
    Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
    request->set("username", username);
    request->set("role", role);
    Poco::JSON::Array::Ptr groupList = new Poco::JSON::Array;
    for (const auto& group : groups)
        groupList->add(group);
    request->set("groups", groupList);
    request->set("by_admin", caller.authenticated && caller.has("can_manage_users"));
    request->set("address", exchange.client().toString());
    const Verdict verdict = _services.context.policy().call("register", policySubject(exchange), request);
    if (verdict.allowed())
        return;
    refuse("user.create.denied", caller.authenticated ? caller.username : username, username, exchange,
           verdict.reason, "registration refused by policy");
}

std::int64_t AuthPolicy::tokenLifetime(const User& user, const std::string& label, std::int64_t lifetimeSeconds,
                                       HttpExchange& exchange)
{
    const std::int64_t now = unixNow();
    std::int64_t existing = 0;
    for (const auto& token : _services.apiTokens.listForUser(user.id))
        existing += token.activeAt(now) ? 1 : 0;
    Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
    request->set("label", label);
    request->set("expires_in_seconds",
                 lifetimeSeconds == 0 ? Poco::Dynamic::Var() : Poco::Dynamic::Var(Poco::Int64(lifetimeSeconds)));
    request->set("existing_count", Poco::Int64(existing));

    const Poco::Dynamic::Var subject =
        exchange.principal().authenticated && exchange.principal().userId == user.id
            ? policySubject(exchange) // the session or token the request came with
            : subjectOf(user, exchange);
    const Verdict verdict = _services.context.policy().call("token", subject, request);
    if (verdict.decision == Verdict::Decision::Allow)
        return lifetimeSeconds;
    if (verdict.decision == Verdict::Decision::Deny)
        refuse("token.create.denied", user.username, user.username, exchange, verdict.reason,
               "token creation refused by policy");

    // A handler may only shorten the lifetime: anything else would let a script mint tokens
    // with another label or for a count it made up, which the route never asked for.
    const auto policyError = [&](const std::string& what) -> HttpError {
        Poco::Logger::get("module.auth")
            .warning("policy hook 'token' returned a table that %s; a token handler may only lower "
                     "expires_in_seconds: refused the token of %s",
                     what, user.username);
        return HttpError(403, "policy error", "policy_error");
    };
    if (verdict.value.type() != typeid(Poco::JSON::Object::Ptr))
        throw policyError("is not an object");
    const auto answered = verdict.value.extract<Poco::JSON::Object::Ptr>();
    if (const std::string change = forbiddenChange(*request, *answered); !change.empty())
        throw policyError(change);
    const Poco::Dynamic::Var asked = answered->has("expires_in_seconds") ? answered->get("expires_in_seconds")
                                                                          : Poco::Dynamic::Var();
    if (asked.isEmpty()) {
        if (lifetimeSeconds == 0)
            return 0;
        throw policyError("removed expires_in_seconds (a token that never expires)");
    }
    const auto seconds = wholeSeconds(asked);
    if (!seconds)
        throw policyError("has an expires_in_seconds that is not a positive whole number");
    if (lifetimeSeconds != 0 && *seconds > lifetimeSeconds)
        throw policyError("raised expires_in_seconds from " + std::to_string(lifetimeSeconds) + " to " +
                          std::to_string(*seconds));
    return *seconds;
}

void AuthPolicy::loginFailed(const std::string& username, const Poco::Net::IPAddress& client, const std::string& reason)
{
    Poco::JSON::Object::Ptr subject = new Poco::JSON::Object;
    subject->set("username", username);
    subject->set("address", client.toString());
    Poco::JSON::Object::Ptr fields = new Poco::JSON::Object;
    fields->set("username", username);
    fields->set("address", client.toString());
    fields->set("reason", reason);
    _services.context.policy().raise("login_failed", subject, fields);
}

} // namespace comfygate::auth
