#pragma once

#include "comfygate/Route.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate {

class HttpExchange;

/// SwarmUI's `POST /API/<Name>` convention, written once: the route metadata its generated
/// docs show, the parameter binding of its dispatcher (top-level JSON keys, `"5"` and `5` both
/// bind to an int) and its refusal shape (HTTP 200 `{"error": ..., "error_id": ...}`).
/// Modules describe a route with swarm::RouteInfo and register it with swarm::addRoute; the
/// kernel's dispatcher does the rest (case-insensitive names, `bad_route`, `bad_permissions`,
/// the `/Error/NoGetAPI` redirect, `basic_api` framing checks, `GET /API/docs`).
namespace swarm {

/// The simple types SwarmUI binds, plus `Object` (a same-named JSON sub-object) and `Raw`
/// (the whole body minus `session_id`, for settings maps and the like).
enum class ParamType
{
    String,
    Int,
    Long,
    Double,
    Bool,
    StringList,
    Object,
    Raw
};

/// The type's name in docs and in "must be type ..." refusals ("string", "int", ...).
const char* typeName(ParamType type);

struct Parameter
{
    std::string name;
    ParamType type = ParamType::String;
    std::string description;
    bool required = true;
    Poco::Dynamic::Var defaultValue; ///< used when an optional parameter is absent (empty = null)

    static Parameter needed(std::string name, ParamType type, std::string description)
    {
        return Parameter{std::move(name), type, std::move(description), true, {}};
    }
    static Parameter optional(std::string name, ParamType type, std::string description,
                              Poco::Dynamic::Var defaultValue = {})
    {
        return Parameter{std::move(name), type, std::move(description), false, std::move(defaultValue)};
    }
};

/// One route's metadata, as SwarmUI registers it (reference swarmui-basic-api.md §1.6).
struct RouteInfo
{
    std::string name;        ///< PascalCase, e.g. "GetMyUserData"; served at /API/<name>, any case
    std::string group;       ///< the route group in the docs, e.g. "BasicAPIFeatures"
    std::string permission;  ///< the permission id the caller needs; empty only when sessionless
    std::string description; ///< what the route does (Markdown allowed)
    std::vector<Parameter> parameters;
    std::string returnExample;     ///< JSON text shown in the docs
    bool userUpdate = false;       ///< SwarmUI's IsUserUpdate
    bool nonFinal = false;         ///< experimental: the docs warn
    bool sessionless = false;      ///< callable without a session_id (Login, GetNewSession, ...)
    bool webSocket = false;        ///< a `...WS` route: one JSON message in, JSON messages out
    std::size_t bodyLimit = 1024 * 1024;
};

/// The bound parameters of one call. Accessors throw Refusal with SwarmUI's wording for a
/// missing required parameter ("Missing required parameter 'x'") or an unconvertible value
/// ("Invalid value for parameter 'x': must be type int"), which the dispatcher answers as
/// HTTP 200 `{"error": ...}`. Asking for a name the RouteInfo does not declare is a
/// programming error (std::logic_error).
class Call
{
public:
    Call(const RouteInfo& info, Poco::JSON::Object::Ptr body);

    bool has(const std::string& name) const; ///< present in the body (not null)
    std::string string(const std::string& name) const;
    std::int64_t integer(const std::string& name) const;
    double decimal(const std::string& name) const;
    bool boolean(const std::string& name) const;
    std::vector<std::string> strings(const std::string& name) const; ///< JSON array or comma-separated
    Poco::JSON::Object::Ptr object(const std::string& name) const;   ///< null when absent and optional
    /// The whole body minus `session_id` (a Raw parameter's value).
    Poco::JSON::Object::Ptr raw() const;

    const RouteInfo& info() const { return _info; }

private:
    const Parameter& declared(const std::string& name) const;
    Poco::Dynamic::Var value(const Parameter& parameter) const;

    const RouteInfo& _info;
    Poco::JSON::Object::Ptr _body;
};

/// A handler's refusal, answered as HTTP 200 `{<key>: message, "error_id": errorId?}`, the way
/// SwarmUI handlers return `{"error": ...}`. Preset routes use the key "preset_fail".
class Refusal : public std::runtime_error
{
public:
    explicit Refusal(const std::string& message, std::string errorId = {}, std::string key = "error")
        : std::runtime_error(message), _errorId(std::move(errorId)), _key(std::move(key))
    {
    }
    const std::string& errorId() const { return _errorId; }
    const std::string& key() const { return _key; }

private:
    std::string _errorId;
    std::string _key;
};

/// Sends one message on a WebSocket route before the final answer (progress and the like);
/// on the HTTP transport the messages are folded into the one reply, as SwarmUI does.
using Emit = std::function<void(const Poco::JSON::Object::Ptr&)>;

/// Returns the answer object (sent with HTTP 200, or as the last WebSocket message). Throw
/// Refusal for a handler-level failure, HttpError for a dispatcher-level one.
using Handler = std::function<Poco::JSON::Object::Ptr(Call& call, HttpExchange& exchange, const Emit& emit)>;

/// Registers `POST /API/<info.name>` (for info.webSocket: `GET /API/<info.name>` with a
/// WebSocket upgrade, one JSON message in, every Emit and the answer out as text messages)
/// with the SwarmUI error style, the permission check and the binding above. Throws std::logic_error for a
/// duplicate name (case-insensitive) or a route without permission that is not sessionless.
void addRoute(RouteRegistry& routes, RouteInfo info, Handler handler);

/// SwarmUI's default tiers of a permission, most restrictive first (reference §3.1).
enum class Tier
{
    Nobody,     ///< owner only
    Admins,     ///< owner, admin
    PowerUsers, ///< owner, admin, power
    User,       ///< every registered role but guest
    Guest       ///< all five roles
};

/// The comfygate roles a permission of that tier holds by default (PermissionSpec::defaultRoles).
std::vector<std::string> tierRoles(Tier tier);

/// `{"success": true}`, the most common SwarmUI answer.
Poco::JSON::Object::Ptr success();

} // namespace swarm
} // namespace comfygate
