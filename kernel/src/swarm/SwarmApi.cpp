#include "comfygate/SwarmApi.h"

#include "SwarmSocket.h"

#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Principal.h"

#include <Poco/JSON/Array.h>
#include <Poco/Logger.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <algorithm>

namespace comfygate::swarm {
namespace {

Refusal mistyped(const Parameter& parameter)
{
    return Refusal("Invalid value for parameter '" + parameter.name + "': must be type " +
                   typeName(parameter.type));
}

/// A scalar's text as SwarmUI coerces it: strings as they are, numbers and bools printed.
std::optional<std::string> scalarText(const Poco::Dynamic::Var& value)
{
    if (value.isString())
        return value.extract<std::string>();
    if (value.isBoolean() || value.isNumeric())
        return value.convert<std::string>();
    return std::nullopt;
}

} // namespace

const char* typeName(ParamType type)
{
    switch (type) {
    case ParamType::String: return "string";
    case ParamType::Int: return "int";
    case ParamType::Long: return "long";
    case ParamType::Double: return "double";
    case ParamType::Bool: return "bool";
    case ParamType::StringList: return "string[]";
    case ParamType::Object: return "object";
    case ParamType::Raw: return "JObject";
    }
    return "unknown";
}

Call::Call(const RouteInfo& info, Poco::JSON::Object::Ptr body) : _info(info), _body(std::move(body))
{
    if (!_body)
        _body = new Poco::JSON::Object;
}

const Parameter& Call::declared(const std::string& name) const
{
    for (const auto& parameter : _info.parameters)
        if (parameter.name == name)
            return parameter;
    throw std::logic_error("route " + _info.name + " reads undeclared parameter " + name);
}

bool Call::has(const std::string& name) const
{
    declared(name);
    return _body->has(name) && !_body->isNull(name);
}

Poco::Dynamic::Var Call::value(const Parameter& parameter) const
{
    if (_body->has(parameter.name) && !_body->isNull(parameter.name))
        return _body->get(parameter.name);
    if (parameter.required)
        throw Refusal("Missing required parameter '" + parameter.name + "'");
    return parameter.defaultValue;
}

std::string Call::string(const std::string& name) const
{
    const Parameter& parameter = declared(name);
    const Poco::Dynamic::Var value = this->value(parameter);
    if (value.isEmpty())
        return {};
    if (const auto text = scalarText(value))
        return *text;
    throw mistyped(parameter);
}

std::int64_t Call::integer(const std::string& name) const
{
    const Parameter& parameter = declared(name);
    const Poco::Dynamic::Var value = this->value(parameter);
    if (value.isEmpty())
        return 0;
    if (value.isInteger() && !value.isBoolean())
        return value.convert<Poco::Int64>();
    Poco::Int64 parsed = 0;
    if (value.isString() && Poco::NumberParser::tryParse64(Poco::trim(value.extract<std::string>()), parsed)) {
        if (parameter.type == ParamType::Int && (parsed > INT32_MAX || parsed < INT32_MIN))
            throw mistyped(parameter);
        return parsed;
    }
    throw mistyped(parameter);
}

double Call::decimal(const std::string& name) const
{
    const Parameter& parameter = declared(name);
    const Poco::Dynamic::Var value = this->value(parameter);
    if (value.isEmpty())
        return 0;
    if (value.isNumeric() && !value.isBoolean())
        return value.convert<double>();
    double parsed = 0;
    if (value.isString() && Poco::NumberParser::tryParseFloat(Poco::trim(value.extract<std::string>()), parsed))
        return parsed;
    throw mistyped(parameter);
}

bool Call::boolean(const std::string& name) const
{
    const Parameter& parameter = declared(name);
    const Poco::Dynamic::Var value = this->value(parameter);
    if (value.isEmpty())
        return false;
    if (value.isBoolean())
        return value.extract<bool>();
    if (value.isString()) {
        const std::string text = Poco::toLower(Poco::trim(value.extract<std::string>()));
        if (text == "true")
            return true;
        if (text == "false")
            return false;
    }
    throw mistyped(parameter);
}

std::vector<std::string> Call::strings(const std::string& name) const
{
    const Parameter& parameter = declared(name);
    const Poco::Dynamic::Var value = this->value(parameter);
    std::vector<std::string> items;
    if (value.isEmpty())
        return items;
    if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto array = value.extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; i < array->size(); ++i) {
            const auto text = scalarText(array->get(i));
            if (!text)
                throw mistyped(parameter);
            items.push_back(*text);
        }
        return items;
    }
    if (value.isString()) {
        Poco::StringTokenizer parts(value.extract<std::string>(), ",",
                                    Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
        return {parts.begin(), parts.end()};
    }
    throw mistyped(parameter);
}

Poco::JSON::Object::Ptr Call::object(const std::string& name) const
{
    const Parameter& parameter = declared(name);
    const Poco::Dynamic::Var value = this->value(parameter);
    if (value.isEmpty())
        return nullptr;
    if (value.type() == typeid(Poco::JSON::Object::Ptr))
        return value.extract<Poco::JSON::Object::Ptr>();
    throw mistyped(parameter);
}

Poco::JSON::Object::Ptr Call::raw() const
{
    Poco::JSON::Object::Ptr copy = new Poco::JSON::Object(*_body);
    copy->remove("session_id");
    return copy;
}

std::vector<std::string> tierRoles(Tier tier)
{
    // knownRoles() lists the roles from most to least powerful, as the tiers go.
    const auto& roles = knownRoles();
    const std::size_t count = static_cast<std::size_t>(tier) + 1;
    return {roles.begin(), roles.begin() + static_cast<std::ptrdiff_t>(std::min(count, roles.size()))};
}

Poco::JSON::Object::Ptr success()
{
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("success", true);
    return answer;
}

namespace {

void sendRefusal(HttpExchange& exchange, const Refusal& refusal)
{
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set(refusal.key(), std::string(refusal.what()));
    if (!refusal.errorId().empty())
        answer->set("error_id", refusal.errorId());
    exchange.sendJson(200, answer);
}

/// One HTTP call: bind, run, answer. Emitted messages are folded into the reply (members of
/// the final answer win), as SwarmUI's HTTP transport does.
void serveHttp(const RouteInfo& info, const Handler& handler, HttpExchange& exchange)
{
    Poco::JSON::Object::Ptr folded = new Poco::JSON::Object;
    const Emit emit = [&folded](const Poco::JSON::Object::Ptr& message) {
        for (const auto& [key, value] : *message)
            folded->set(key, value);
    };
    try {
        Call call(info, exchange.jsonBody());
        const Poco::JSON::Object::Ptr answer = handler(call, exchange, emit);
        if (answer)
            for (const auto& [key, value] : *answer)
                folded->set(key, value);
        if (folded->size() == 0)
            throw HttpError(400, "The route returned no result.", "no_result");
        exchange.sendJson(200, folded);
    } catch (const Refusal& refusal) {
        sendRefusal(exchange, refusal);
    } catch (const HttpError&) {
        throw;
    } catch (const std::exception& e) {
        Poco::Logger::get("swarm").error("%s failed (request %s): %s", info.name, exchange.requestId(),
                                         std::string(e.what()));
        throw HttpError(400, "An internal error occurred", "internal_error");
    }
}

/// One WebSocket call: the kernel's dispatcher has upgraded the socket, read the call's one
/// message (the exchange's body) and checked session and permission. Every emitted object is
/// a message as it comes, the answer the last one; refusals are messages too; then the close.
void serveWebSocket(const RouteInfo& info, const Handler& handler, HttpExchange& exchange)
{
    Poco::Net::WebSocket* socket = exchange.webSocket();
    if (!socket)
        throw HttpError(400, "This is a WebSocket route: open it as a WebSocket.", "bad_request_method");
    SwarmSocket channel(*socket);
    const Emit emit = [&channel](const Poco::JSON::Object::Ptr& message) {
        if (message)
            channel.send(message);
    };
    try {
        Call call(info, exchange.jsonBody());
        if (const Poco::JSON::Object::Ptr answer = handler(call, exchange, emit))
            channel.send(answer);
        channel.close();
    } catch (const Refusal& refusal) {
        Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
        answer->set(refusal.key(), std::string(refusal.what()));
        if (!refusal.errorId().empty())
            answer->set("error_id", refusal.errorId());
        channel.send(answer);
        channel.close();
    } catch (const HttpError& e) {
        channel.fail(e.what(), e.code().empty() ? "error" : e.code());
    } catch (const std::exception& e) {
        Poco::Logger::get("swarm").error("%s failed (request %s): %s", info.name, exchange.requestId(),
                                         std::string(e.what()));
        channel.fail("An internal error occurred", "internal_error");
    }
}

} // namespace

void addRoute(RouteRegistry& routes, RouteInfo info, Handler handler)
{
    if (info.permission.empty() && !info.sessionless)
        throw std::logic_error("SwarmUI route " + info.name + " has no permission and is not sessionless");
    auto shared = std::make_shared<const RouteInfo>(std::move(info));
    // The kernel's SwarmDispatcher checks session and permission for every /API/ route, in
    // SwarmUI's way; access and permission here describe the route (/openapi.json).
    RouteSpec spec = RouteSpec::make(
        shared->webSocket ? "GET" : "POST", "/API/" + shared->name,
        shared->permission.empty() ? Access::Public : Access::Permission, shared->description,
        [shared, handler = std::move(handler)](HttpExchange& exchange) {
            if (shared->webSocket)
                serveWebSocket(*shared, handler, exchange);
            else
                serveHttp(*shared, handler, exchange);
        },
        shared->permission);
    spec.webSocket = shared->webSocket;
    spec.errorStyle = ErrorStyle::SwarmUI;
    spec.bodyLimit = shared->bodyLimit;
    spec.swarm = shared;
    routes.add(std::move(spec));
}

} // namespace comfygate::swarm
