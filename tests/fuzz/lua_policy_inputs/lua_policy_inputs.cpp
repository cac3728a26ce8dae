// What policy hooks receive: the `subject` (policySubject, built from the principal's fields,
// which come from user names and group names people chose) and request tables made from
// client JSON (prompt graphs, download requests, ...), copied into Lua by LuaValueBridge and
// back out of it. The input is one JSON document; its string members user_id, username, role,
// token_kind and its `groups` array fill the principal. Both values must survive the round
// trip through Lua unchanged, and nothing but std::invalid_argument may be thrown.
#include "LuaValueBridge.h"

#include "comfygate/PolicySubject.h"
#include "comfygate/Principal.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace {

std::string text(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

comfygate::Principal principalFrom(const Poco::Dynamic::Var& value)
{
    comfygate::Principal principal;
    if (value.type() != typeid(Poco::JSON::Object::Ptr))
        return principal;
    const auto object = value.extract<Poco::JSON::Object::Ptr>();
    const auto member = [&](const std::string& name, std::string& field) {
        if (object->has(name) && object->get(name).isString())
            field = object->get(name).extract<std::string>();
    };
    member("user_id", principal.userId);
    member("username", principal.username);
    member("role", principal.role);
    member("token_kind", principal.tokenKind);
    principal.authenticated = !principal.userId.empty();
    if (const auto groups = object->getArray("groups"))
        for (std::size_t i = 0; i < groups->size(); ++i)
            if (groups->get(i).isString())
                principal.groups.push_back(groups->get(i).extract<std::string>());
    return principal;
}

// The value as LuaValueBridge documents that Lua holds it: nulls are dropped (a Lua table cannot
// hold nil; an array's later elements move up), and an unsigned integer above Lua's 64-bit
// signed range (a ComfyUI seed may be up to 2^64 - 1) reaches Lua as a float and comes back
// as a double. A plain read keeps both losses; a read guided by the original (a hook's modified
// request) undoes them (tests/fuzz/README.md, finding 3).
Poco::Dynamic::Var asLuaHoldsIt(const Poco::Dynamic::Var& value)
{
    if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
        Poco::JSON::Object::Ptr copy = new Poco::JSON::Object;
        for (const auto& [name, member] : *value.extract<Poco::JSON::Object::Ptr>())
            if (!member.isEmpty())
                copy->set(name, asLuaHoldsIt(member));
        return copy;
    }
    if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
        Poco::JSON::Array::Ptr copy = new Poco::JSON::Array;
        for (const auto& element : *value.extract<Poco::JSON::Array::Ptr>())
            if (!element.isEmpty())
                copy->add(asLuaHoldsIt(element));
        return copy;
    }
    if (value.isInteger() && !value.isSigned() &&
        value.convert<Poco::UInt64>() > static_cast<Poco::UInt64>(std::numeric_limits<Poco::Int64>::max()))
        return static_cast<double>(value.convert<Poco::UInt64>());
    return value;
}

// Pushes `value` into Lua and reads it back, plain and guided by the value itself (as a hook's
// modified request is read); aborts when the plain read is not what Lua holds, or when the
// guided one is not exactly the value.
void roundTrip(lua_State* L, const Poco::Dynamic::Var& value)
{
    const int top = lua_gettop(L);
    try {
        comfygate::LuaValueBridge::push(L, value);
    } catch (const std::invalid_argument&) {
        lua_settop(L, top);
        return; // too deep or not a JSON value: the hook is not called
    }
    Poco::Dynamic::Var back;
    Poco::Dynamic::Var guided;
    try {
        back = comfygate::LuaValueBridge::toVar(L, -1);
        guided = comfygate::LuaValueBridge::toVar(L, -1, value);
    } catch (const std::invalid_argument&) {
        lua_settop(L, top);
        return;
    }
    lua_settop(L, top);
    if (text(back) != text(asLuaHoldsIt(value)) || text(guided) != text(value))
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    Poco::Dynamic::Var request;
    try {
        Poco::JSON::Parser parser;
        request = parser.parse(std::string(reinterpret_cast<const char*>(data), size));
    } catch (const Poco::Exception&) {
        return 0;
    }
    lua_State* L = luaL_newstate();
    comfygate::LuaValueBridge::install(L);
    roundTrip(L, comfygate::policySubject(principalFrom(request)));
    roundTrip(L, request);
    lua_close(L);
    return 0;
}
