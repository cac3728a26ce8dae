#include "OpenApiBuilder.h"

#include "Router.h"
#include "comfygate/SwarmApi.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/String.h>

#include <sstream>

namespace comfygate {
namespace {

Poco::JSON::Object::Ptr object() { return new Poco::JSON::Object; }

std::string openApiPath(const std::string& pattern)
{
    return Poco::replace(pattern, std::string("...}"), std::string("}"));
}

std::string errorSchemaName(ErrorStyle style)
{
    switch (style) {
    case ErrorStyle::SwarmUI: return "SwarmError";
    case ErrorStyle::ComfyCloud: return "CloudError";
    case ErrorStyle::Plain: break;
    }
    return "Error";
}

Poco::JSON::Object::Ptr stringProperties(std::initializer_list<const char*> names)
{
    auto schema = object();
    schema->set("type", "object");
    auto properties = object();
    for (const char* name : names) {
        auto property = object();
        property->set("type", "string");
        properties->set(name, property);
    }
    schema->set("properties", properties);
    return schema;
}

/// A SwarmUI parameter's JSON schema: the JSON types its binding accepts ("5" binds to an
/// int too, so numbers and booleans also take their string forms).
Poco::JSON::Object::Ptr parameterSchema(const swarm::Parameter& parameter)
{
    auto schema = object();
    const auto oneOf = [&schema](const char* type) {
        Poco::JSON::Array::Ptr choices = new Poco::JSON::Array;
        auto typed = object();
        typed->set("type", type);
        choices->add(typed);
        auto text = object();
        text->set("type", "string");
        choices->add(text);
        schema->set("oneOf", choices);
    };
    switch (parameter.type) {
    case swarm::ParamType::String: schema->set("type", "string"); break;
    case swarm::ParamType::Int:
    case swarm::ParamType::Long: oneOf("integer"); break;
    case swarm::ParamType::Double: oneOf("number"); break;
    case swarm::ParamType::Bool: oneOf("boolean"); break;
    case swarm::ParamType::StringList: {
        auto items = object();
        items->set("type", "string");
        auto array = object();
        array->set("type", "array");
        array->set("items", items);
        Poco::JSON::Array::Ptr choices = new Poco::JSON::Array;
        choices->add(array);
        auto csv = object();
        csv->set("type", "string");
        csv->set("description", "comma-separated");
        choices->add(csv);
        schema->set("oneOf", choices);
        break;
    }
    case swarm::ParamType::Object:
    case swarm::ParamType::Raw: schema->set("type", "object"); break;
    }
    if (!parameter.description.empty())
        schema->set("description", parameter.description);
    if (!parameter.required && !parameter.defaultValue.isEmpty())
        schema->set("default", parameter.defaultValue);
    return schema;
}

/// The JSON body of a SwarmUI route: its parameters (the required ones listed) and, unless
/// sessionless, `session_id`. A Raw parameter takes the whole body, so other members are allowed.
Poco::JSON::Object::Ptr swarmRequestBody(const swarm::RouteInfo& info)
{
    auto schema = object();
    schema->set("type", "object");
    auto properties = object();
    Poco::JSON::Array::Ptr required = new Poco::JSON::Array;
    if (!info.sessionless) {
        auto session = object();
        session->set("type", "string");
        session->set("description", "from GetNewSession (or send X-Session-ID)");
        properties->set("session_id", session);
    }
    for (const auto& parameter : info.parameters) {
        if (parameter.type == swarm::ParamType::Raw)
            continue;
        properties->set(parameter.name, parameterSchema(parameter));
        if (parameter.required)
            required->add(parameter.name);
    }
    schema->set("properties", properties);
    if (required->size() > 0)
        schema->set("required", required);
    auto json = object();
    json->set("schema", schema);
    auto content = object();
    content->set("application/json", json);
    auto body = object();
    body->set("required", true);
    body->set("content", content);
    return body;
}

} // namespace

std::string OpenApiBuilder::build() const
{
    auto document = object();
    document->set("openapi", "3.0.3");
    auto info = object();
    info->set("title", "comfygate");
    info->set("version", COMFYGATE_VERSION);
    info->set("description", "Multi-user gateway and plugin server for ComfyUI hosts");
    document->set("info", info);

    auto paths = object();
    for (const auto& route : _router.routes()) {
        const RouteSpec& spec = *route->spec;
        const std::string path = openApiPath(route->pattern.text());
        Poco::JSON::Object::Ptr item = paths->has(path) ? paths->getObject(path) : object();
        auto operation = object();
        operation->set("summary", spec.description);
        operation->set("operationId", route->method + " " + route->pattern.text());
        Poco::JSON::Array::Ptr tags = new Poco::JSON::Array;
        tags->add(route->owner);
        operation->set("tags", tags);
        operation->set("x-module", route->owner);
        switch (spec.access) {
        case Access::Public:
            operation->set("x-access", "public");
            operation->set("security", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
            break;
        case Access::Authenticated:
            operation->set("x-access", "authenticated");
            break;
        case Access::Permission:
            operation->set("x-access", "permission");
            operation->set("x-permission", spec.permission);
            break;
        }
        Poco::JSON::Array::Ptr parameters = new Poco::JSON::Array;
        for (const auto& name : route->pattern.parameterNames()) {
            auto parameter = object();
            parameter->set("name", name);
            parameter->set("in", "path");
            parameter->set("required", true);
            auto schema = object();
            schema->set("type", "string");
            parameter->set("schema", schema);
            parameters->add(parameter);
        }
        if (parameters->size() > 0)
            operation->set("parameters", parameters);
        if (spec.swarm) {
            if (spec.swarm->webSocket)
                operation->set("x-websocket", true);
            else
                operation->set("requestBody", swarmRequestBody(*spec.swarm));
            operation->set("x-swarm-name", spec.swarm->name);
        }
        auto responses = object();
        auto ok = object();
        ok->set("description", "success");
        responses->set("200", ok);
        auto error = object();
        error->set("description", "error");
        auto content = object();
        auto json = object();
        auto ref = object();
        ref->set("$ref", "#/components/schemas/" + errorSchemaName(spec.errorStyle));
        json->set("schema", ref);
        content->set("application/json", json);
        error->set("content", content);
        responses->set("default", error);
        operation->set("responses", responses);
        item->set(Poco::toLower(route->method), operation);
        paths->set(path, item);
    }
    document->set("paths", paths);

    auto components = object();
    auto schemas = object();
    schemas->set("Error", stringProperties({"error"}));
    schemas->set("SwarmError", stringProperties({"error", "error_id"}));
    schemas->set("CloudError", stringProperties({"code", "message"}));
    components->set("schemas", schemas);
    auto schemes = object();
    auto bearer = object();
    bearer->set("type", "http");
    bearer->set("scheme", "bearer");
    schemes->set("bearer", bearer);
    components->set("securitySchemes", schemes);
    document->set("components", components);
    Poco::JSON::Array::Ptr security = new Poco::JSON::Array;
    auto requirement = object();
    requirement->set("bearer", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    security->add(requirement);
    document->set("security", security);

    std::ostringstream out;
    document->stringify(out);
    return out.str();
}

} // namespace comfygate
