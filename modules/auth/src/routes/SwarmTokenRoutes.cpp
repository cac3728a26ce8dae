#include "SwarmTokenRoutes.h"

#include "ApiTokenCodec.h"
#include "AuthServices.h"
#include "SwarmBasicRoute.h"
#include "TokenRoutes.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/SwarmApi.h"

#include <Poco/JSON/Array.h>
#include <Poco/String.h>
#include <Poco/TextIterator.h>
#include <Poco/UTF8Encoding.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace comfygate::auth {
namespace {

bool isTokenId(const std::string& id)
{
    return id.size() == 64 && std::all_of(id.begin(), id.end(), [](char c) {
               return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
           });
}

/// The number of characters, or nothing when the text is not UTF-8.
std::optional<std::size_t> utf8Characters(const std::string& text)
{
    Poco::UTF8Encoding utf8;
    std::size_t count = 0;
    for (Poco::TextIterator it(text, utf8), end(text); it != end; ++it, ++count)
        if (*it < 0)
            return std::nullopt;
    return count;
}

} // namespace

void SwarmTokenRoutes::registerAll(RouteRegistry& routes)
{
    using swarm::Parameter;
    using swarm::ParamType;

    auto list = swarmBasicRoute("ListMyAuthTokens", "read_user_settings",
                                "Your API tokens (never their secrets). `id` is what RevokeMyAuthToken takes; "
                                "`is_current` marks the token this call is authenticated with.");
    list.returnExample = R"({
    "tokens": [
        {
            "id": "<64 hex digits>",
            "created": 1765000000,
            "last_active": 1765003600,
            "user_agent": "the reason given at creation",
            "origin_address": "",
            "is_current": false
        }
    ]
})";
    swarm::addRoute(routes, list, [this](swarm::Call& call, HttpExchange& exchange, const swarm::Emit&) {
        return this->list(call, exchange);
    });

    auto revoke = swarmBasicRoute("RevokeMyAuthToken", "edit_user_settings",
                                  "Revoke one of your API tokens; it is refused from the next request on, with every "
                                  "session_id made from it.");
    revoke.userUpdate = true;
    revoke.parameters = {Parameter::optional("tokenId", ParamType::String, "the token's `id` from ListMyAuthTokens"),
                         Parameter::optional("token_id", ParamType::String, "the same, in snake_case")};
    revoke.returnExample = R"({"success": true})";
    swarm::addRoute(routes, revoke, [this](swarm::Call& call, HttpExchange& exchange, const swarm::Emit&) {
        return this->revoke(call, exchange);
    });

    auto create = swarmBasicRoute("CreateAuthToken", "edit_user_settings",
                                  "Create an API token (shown once) for `Authorization: Bearer`. Needs "
                                  "`can_have_api_tokens` too; it expires after `auth.api_token_default_hours`.");
    create.userUpdate = true;
    create.parameters = {
        Parameter::needed("reason", ParamType::String, "what the token is for, 1 to 500 characters (its label)")};
    create.returnExample = R"({"token": "cgt_..."})";
    swarm::addRoute(routes, create, [this](swarm::Call& call, HttpExchange& exchange, const swarm::Emit&) {
        return this->create(call, exchange);
    });
}

Poco::JSON::Object::Ptr SwarmTokenRoutes::list(swarm::Call&, HttpExchange& exchange)
{
    const Principal& principal = exchange.principal();
    Poco::JSON::Array::Ptr tokens = new Poco::JSON::Array;
    for (const auto& token : _services.apiTokens.listForUser(principal.userId)) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
        item->set("id", token.hash);
        item->set("created", token.createdAt);
        item->set("last_active", token.lastUsedAt);
        item->set("user_agent", token.label);
        item->set("origin_address", ""); // comfygate records no address per token
        item->set("expires", token.expiresAt);
        // A session_id made from a token carries the token's hash as its credential too.
        item->set("is_current", principal.sessionId == token.hash);
        tokens->add(item);
    }
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("tokens", tokens);
    return answer;
}

Poco::JSON::Object::Ptr SwarmTokenRoutes::revoke(swarm::Call& call, HttpExchange& exchange)
{
    const std::string id = Poco::toLower(call.has("tokenId") ? call.string("tokenId") : call.string("token_id"));
    if (!call.has("tokenId") && !call.has("token_id"))
        throw swarm::Refusal("Missing required parameter 'tokenId'");
    // Only the whole id: a prefix could name another of the caller's tokens than meant.
    if (!isTokenId(id) || _services.apiTokens.revokeByPrefix(exchange.principal().userId, id) == 0)
        throw swarm::Refusal("Token not found.");
    _services.audit(exchange.principal().username, "token.revoke", ApiTokenCodec::displayPrefix(id),
                    exchange.client().toString(), "{\"api\":\"swarm\"}");
    return swarm::success();
}

Poco::JSON::Object::Ptr SwarmTokenRoutes::create(swarm::Call& call, HttpExchange& exchange)
{
    const std::string reason = call.string("reason");
    const auto characters = utf8Characters(reason);
    if (!characters || *characters < 1 || *characters > maximumReasonCharacters)
        throw swarm::Refusal("The reason must be 1 to 500 characters.", "invalid_input");
    const auto user = _services.users.findById(exchange.principal().userId);
    if (!user)
        throw HttpError(401, "Invalid or unauthorized.", "invalid_login");
    // The same checks as POST /mss-login/generate_token: can_have_api_tokens, and the lifetime.
    const auto issued =
        TokenRoutes::issue(_services, *user, reason, TokenRoutes::expireHours(_services, new Poco::JSON::Object, *user),
                           exchange);
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("token", issued->getValue<std::string>("jwt_token"));
    return answer;
}

} // namespace comfygate::auth
