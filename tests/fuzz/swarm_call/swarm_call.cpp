// SwarmUI API bodies (POST /API/<Name>): one JSON object whose members a handler reads through
// swarm::Call by declared name and type (SwarmUI's loose typing: numbers as strings, lists as
// comma-separated text, ...). The route declares one parameter of every type, required and
// optional; every accessor is called on the fuzzed body and may only refuse with swarm::Refusal
// (the API's own error shape).
#include "comfygate/SwarmApi.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using comfygate::swarm::Parameter;
using comfygate::swarm::ParamType;

const comfygate::swarm::RouteInfo& route()
{
    static const comfygate::swarm::RouteInfo info = [] {
        comfygate::swarm::RouteInfo r;
        r.name = "GenerateText2Image";
        r.parameters = {
            Parameter::needed("prompt", ParamType::String, ""),
            Parameter::needed("images", ParamType::Int, ""),
            Parameter::optional("seed", ParamType::Long, "", Poco::Int64(-1)),
            Parameter::optional("cfgscale", ParamType::Double, "", 7.0),
            Parameter::optional("donotsave", ParamType::Bool, "", false),
            Parameter::optional("loras", ParamType::StringList, ""),
            Parameter::optional("rawInput", ParamType::Object, ""),
            Parameter::optional("session_id", ParamType::String, "", std::string()),
        };
        return r;
    }();
    return info;
}

template <typename Read>
void attempt(Read read)
{
    try {
        read();
    } catch (const comfygate::swarm::Refusal&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    Poco::JSON::Object::Ptr body;
    try {
        const Poco::Dynamic::Var value = Poco::JSON::Parser().parse(std::string(reinterpret_cast<const char*>(data), size));
        if (value.type() != typeid(Poco::JSON::Object::Ptr))
            return 0; // SwarmDispatcher answers "The body must be a JSON object."
        body = value.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        return 0;
    }
    const comfygate::swarm::Call call(route(), body);
    attempt([&] { call.string("prompt"); });
    attempt([&] { call.integer("images"); });
    attempt([&] { call.integer("seed"); });
    attempt([&] { call.decimal("cfgscale"); });
    attempt([&] { call.boolean("donotsave"); });
    attempt([&] { call.strings("loras"); });
    attempt([&] { call.object("rawInput"); });
    attempt([&] { call.string("session_id"); });
    for (const auto& parameter : route().parameters)
        call.has(parameter.name);
    call.raw();
    return 0;
}
