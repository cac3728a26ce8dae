#include "ApiKeyRoutes.h"

#include "comfygate/HttpExchange.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <cctype>

namespace comfygate::presets {
namespace {

constexpr std::size_t maxKeyLength = 512;

/// Keys go into URLs (CivitAI's ?token=) and headers: only characters that need no escaping.
bool isSafeKey(const std::string& key)
{
    return !key.empty() && key.size() <= maxKeyLength && std::all_of(key.begin(), key.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
    });
}

} // namespace

void ApiKeyRoutes::registerAll(RouteRegistry& routes)
{
    using swarm::Parameter;
    using swarm::ParamType;
    const std::string types = ApiKeyTypes::names();
    swarm::addRoute(
        routes,
        {.name = "SetAPIKey",
         .group = "BasicAPIFeatures",
         .permission = "edit_user_settings",
         .description = "Stores the caller's key for a third-party service, sealed at rest; `\"none\"` removes it. "
                        "Downloads the caller starts use it (CivitAI, Hugging Face). The key is never shown again.",
         .parameters = {Parameter::needed("keyType", ParamType::String, "one of " + types),
                        Parameter::needed("key", ParamType::String,
                                          "the key (letters, digits and - _ . ~ + / =, at most 512), or `none`")},
         .returnExample = R"({"success": true})",
         .userUpdate = true},
        [this](swarm::Call& call, HttpExchange& exchange, const swarm::Emit&) { return setApiKey(call, exchange); });
    swarm::addRoute(
        routes,
        {.name = "GetAPIKeyStatus",
         .group = "BasicAPIFeatures",
         .permission = "read_user_settings",
         .description = "Whether the caller has a key of this type and when it was last set (UTC); never the key.",
         .parameters = {Parameter::needed("keyType", ParamType::String, "one of " + types)},
         .returnExample = R"({"status": "last updated 2026-12-07 14:05"}
{"status": "not set"})"},
        [this](swarm::Call& call, HttpExchange& exchange, const swarm::Emit&) {
            return getApiKeyStatus(call, exchange);
        });
}

const ApiKeyType& ApiKeyRoutes::keyTypeOf(swarm::Call& call)
{
    const ApiKeyType* type = ApiKeyTypes::find(call.string("keyType"));
    if (!type)
        throw swarm::Refusal("Unknown key type: it must be one of " + ApiKeyTypes::names() + ".", "invalid_key_type");
    return *type;
}

std::shared_ptr<services::UserSecrets> ApiKeyRoutes::secrets() const
{
    auto store = _services.find<services::UserSecrets>(services::UserSecrets::serviceName);
    if (!store)
        throw swarm::Refusal("API keys need the auth module, which this server does not load.", "unavailable");
    return store;
}

Poco::JSON::Object::Ptr ApiKeyRoutes::setApiKey(swarm::Call& call, HttpExchange& exchange)
{
    const ApiKeyType& type = keyTypeOf(call);
    const std::string key = call.string("key");
    const Principal& principal = exchange.principal();
    const auto store = secrets();
    const bool clearing = key == "none";
    if (clearing) {
        store->clear(principal.userId, type.provider);
    } else {
        if (!isSafeKey(key))
            throw swarm::Refusal("That key has characters no " + type.title +
                                     " key has (or is longer than 512): it was not stored.",
                                 "invalid_input");
        store->set(principal.userId, type.provider, key);
    }
    _audit.record({principal.username, clearing ? "apikey.clear" : "apikey.set", type.provider,
                   exchange.client().toString(), ""});
    _logger.information("%s %s their %s key", principal.username, std::string(clearing ? "removed" : "set"),
                        type.title);
    return swarm::success();
}

Poco::JSON::Object::Ptr ApiKeyRoutes::getApiKeyStatus(swarm::Call& call, HttpExchange& exchange)
{
    const ApiKeyType& type = keyTypeOf(call);
    const std::int64_t updated = secrets()->updatedAt(exchange.principal().userId, type.provider);
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    if (updated <= 0)
        answer->set("status", "not set");
    else
        answer->set("status", "last updated " + Poco::DateTimeFormatter::format(
                                                    Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(updated)),
                                                    "%Y-%m-%d %H:%M"));
    return answer;
}

} // namespace comfygate::presets
