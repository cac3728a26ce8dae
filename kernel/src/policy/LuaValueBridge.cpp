#include "LuaValueBridge.h"

#include <Poco/Dynamic/Struct.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <lua.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate {

namespace {

// Only the address matters: it keys the marker metatable in the registry.
const char objectMarkerKey = 0;

void requireStack(lua_State* L, int slots)
{
    if (!lua_checkstack(L, slots))
        throw std::invalid_argument("Lua stack exhausted while converting a value");
}

void markAsObject(lua_State* L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &objectMarkerKey);
    lua_setmetatable(L, -2);
}

bool isMarkedObject(lua_State* L, int index)
{
    if (!lua_getmetatable(L, index))
        return false;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &objectMarkerKey);
    const bool marked = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return marked;
}

bool isBigUnsigned(const Poco::Dynamic::Var& value)
{
    return value.isInteger() && !value.isSigned() &&
           value.convert<Poco::UInt64>() > static_cast<Poco::UInt64>(std::numeric_limits<lua_Integer>::max());
}

// The members of an object an original value holds, or null when it holds none.
const Poco::JSON::Object* originalObject(const Poco::Dynamic::Var* original)
{
    if (original && original->type() == typeid(Poco::JSON::Object::Ptr))
        return original->extract<Poco::JSON::Object::Ptr>().get();
    return nullptr;
}

const Poco::JSON::Array* originalArray(const Poco::Dynamic::Var* original)
{
    if (original && original->type() == typeid(Poco::JSON::Array::Ptr))
        return original->extract<Poco::JSON::Array::Ptr>().get();
    return nullptr;
}

} // namespace

void LuaValueBridge::install(lua_State* L)
{
    lua_createtable(L, 0, 1);
    // Protected, so scripts can neither read nor change it (a __gc added here would escape
    // the instruction hook, which Lua disables while finalizers run).
    lua_pushliteral(L, "json.object");
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &objectMarkerKey);
}

void LuaValueBridge::push(lua_State* L, const Poco::Dynamic::Var& value)
{
    const int top = lua_gettop(L);
    try {
        pushValue(L, value, 0);
    } catch (...) {
        lua_settop(L, top);
        throw;
    }
}

Poco::Dynamic::Var LuaValueBridge::toVar(lua_State* L, int index)
{
    return toVar(L, index, Poco::Dynamic::Var());
}

Poco::Dynamic::Var LuaValueBridge::toVar(lua_State* L, int index, const Poco::Dynamic::Var& original)
{
    const int top = lua_gettop(L);
    index = lua_absindex(L, index);
    try {
        Poco::Dynamic::Var result = toValue(L, index, 0, original.isEmpty() ? nullptr : &original);
        lua_settop(L, top);
        return result;
    } catch (...) {
        lua_settop(L, top);
        throw;
    }
}

void LuaValueBridge::pushValue(lua_State* L, const Poco::Dynamic::Var& value, int depth)
{
    if (depth > maxDepth)
        throw std::invalid_argument("value nested deeper than " + std::to_string(maxDepth) +
                                    " levels");
    requireStack(L, 4);
    if (value.isEmpty()) {
        lua_pushnil(L);
        return;
    }

    auto pushMembers = [&](const auto& members) {
        lua_createtable(L, 0, static_cast<int>(members.size()));
        for (const auto& [key, member] : members) {
            lua_pushlstring(L, key.data(), key.size());
            pushValue(L, member, depth + 1);
            if (lua_isnil(L, -1))
                lua_pop(L, 2);
            else
                lua_rawset(L, -3);
        }
        markAsObject(L);
    };
    // Null elements are dropped: a Lua sequence cannot hold nil.
    auto pushElements = [&](const auto& elements) {
        lua_createtable(L, static_cast<int>(elements.size()), 0);
        lua_Integer next = 1;
        for (const auto& element : elements) {
            // Elements that are Vars already are passed as they are, not cloned.
            if constexpr (std::is_same_v<std::decay_t<decltype(element)>, Poco::Dynamic::Var>)
                pushValue(L, element, depth + 1);
            else
                pushValue(L, Poco::Dynamic::Var(element), depth + 1);
            if (lua_isnil(L, -1))
                lua_pop(L, 1);
            else
                lua_rawseti(L, -2, next++);
        }
    };

    // Scalars first: a workflow is mostly scalars, and each typeid comparison of the containers
    // below compares type names across shared libraries (half the cost of passing a prompt's
    // workflow to its hook). A container's holder is neither boolean, string nor numeric.
    if (value.isBoolean()) {
        lua_pushboolean(L, value.extract<bool>());
        return;
    }
    if (value.isString()) {
        const std::string text = value.convert<std::string>();
        lua_pushlstring(L, text.data(), text.size());
        return;
    }
    if (value.isInteger()) {
        if (value.isSigned()) {
            lua_pushinteger(L, static_cast<lua_Integer>(value.convert<Poco::Int64>()));
        } else {
            const auto number = value.convert<Poco::UInt64>();
            if (number <= static_cast<Poco::UInt64>(std::numeric_limits<lua_Integer>::max()))
                lua_pushinteger(L, static_cast<lua_Integer>(number));
            else
                lua_pushnumber(L, static_cast<lua_Number>(number));
        }
        return;
    }
    if (value.isNumeric()) {
        lua_pushnumber(L, value.convert<double>());
        return;
    }

    const std::type_info& type = value.type();
    if (type == typeid(Poco::JSON::Object::Ptr)) {
        const auto& object = value.extract<Poco::JSON::Object::Ptr>();
        if (object.isNull())
            lua_pushnil(L);
        else
            pushMembers(*object);
    } else if (type == typeid(Poco::JSON::Object)) {
        pushMembers(value.extract<Poco::JSON::Object>());
    } else if (type == typeid(Poco::DynamicStruct)) {
        pushMembers(value.extract<Poco::DynamicStruct>());
    } else if (type == typeid(Poco::OrderedDynamicStruct)) {
        pushMembers(value.extract<Poco::OrderedDynamicStruct>());
    } else if (type == typeid(Poco::JSON::Array::Ptr)) {
        const auto& array = value.extract<Poco::JSON::Array::Ptr>();
        if (array.isNull())
            lua_pushnil(L);
        else
            pushElements(*array);
    } else if (type == typeid(Poco::JSON::Array)) {
        pushElements(value.extract<Poco::JSON::Array>());
    } else if (type == typeid(std::vector<Poco::Dynamic::Var>)) {
        pushElements(value.extract<std::vector<Poco::Dynamic::Var>>());
    } else if (type == typeid(std::vector<std::string>)) {
        pushElements(value.extract<std::vector<std::string>>());
    } else {
        throw std::invalid_argument(std::string("cannot pass a value of type ") + type.name() +
                                    " to a policy script");
    }
}

Poco::Dynamic::Var LuaValueBridge::toValue(lua_State* L, int index, int depth, const Poco::Dynamic::Var* original)
{
    switch (lua_type(L, index)) {
    case LUA_TNIL:
        return {};
    case LUA_TBOOLEAN:
        return static_cast<bool>(lua_toboolean(L, index));
    case LUA_TNUMBER: {
        if (lua_isinteger(L, index))
            return static_cast<Poco::Int64>(lua_tointeger(L, index));
        const double number = lua_tonumber(L, index);
        if (!std::isfinite(number))
            throw std::invalid_argument("cannot convert a non-finite number");
        // The float a big unsigned integer became on the way in, unchanged: the integer.
        if (original && isBigUnsigned(*original) && static_cast<double>(original->convert<Poco::UInt64>()) == number)
            return *original;
        return number;
    }
    case LUA_TSTRING: {
        std::size_t length = 0;
        const char* text = lua_tolstring(L, index, &length);
        return std::string(text, length);
    }
    case LUA_TTABLE:
        return tableToValue(L, index, depth, original);
    default:
        throw std::invalid_argument(std::string("cannot convert a Lua ") + luaL_typename(L, index));
    }
}

Poco::Dynamic::Var LuaValueBridge::tableToValue(lua_State* L, int index, int depth, const Poco::Dynamic::Var* original)
{
    if (depth >= maxDepth)
        throw std::invalid_argument("table nested deeper than " + std::to_string(maxDepth) +
                                    " levels (or a table that contains itself)");
    requireStack(L, 6);

    if (!isMarkedObject(L, index)) {
        // A sequence: exactly as many keys as the border, every key an integer in 1..n.
        const auto length = static_cast<lua_Integer>(lua_rawlen(L, index));
        lua_Integer keys = 0;
        bool sequence = true;
        lua_pushnil(L);
        while (lua_next(L, index) != 0) {
            lua_pop(L, 1);
            ++keys;
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > length)
                sequence = false;
        }
        if (sequence && keys == length) {
            // Lua's element i is the original's i-th element that is not null; when the script
            // kept the length, the nulls go back between them.
            std::vector<const Poco::Dynamic::Var*> held;
            const auto* before = originalArray(original);
            if (before)
                for (const auto& element : *before)
                    if (!element.isEmpty())
                        held.push_back(&element);
            const bool sameLength = before && static_cast<lua_Integer>(held.size()) == length;
            Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
            auto next = sameLength ? before->begin() : Poco::JSON::Array::ConstIterator();
            for (lua_Integer i = 1; i <= length; ++i) {
                if (sameLength)
                    for (; next->isEmpty(); ++next)
                        array->add(Poco::Dynamic::Var());
                lua_rawgeti(L, index, i);
                array->add(toValue(L, lua_gettop(L), depth + 1, sameLength ? &*next++ : nullptr));
                lua_pop(L, 1);
            }
            if (sameLength)
                for (; next != before->end(); ++next)
                    array->add(Poco::Dynamic::Var());
            return array;
        }
    }

    const auto* before = originalObject(original);
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
        std::string key;
        if (lua_type(L, -2) == LUA_TSTRING) {
            std::size_t length = 0;
            const char* text = lua_tolstring(L, -2, &length);
            key.assign(text, length);
        } else if (lua_isinteger(L, -2)) {
            key = std::to_string(lua_tointeger(L, -2));
        } else {
            throw std::invalid_argument(std::string("cannot convert a table key of type ") +
                                        luaL_typename(L, -2));
        }
        const bool had = before && before->has(key);
        const Poco::Dynamic::Var was = had ? before->get(key) : Poco::Dynamic::Var();
        object->set(key, toValue(L, lua_gettop(L), depth + 1, had ? &was : nullptr));
        lua_pop(L, 1);
    }
    // A null member never reached the script, so the script cannot have removed it.
    if (before)
        for (const auto& [key, member] : *before)
            if (member.isEmpty() && !object->has(key))
                object->set(key, Poco::Dynamic::Var());
    return object;
}

} // namespace comfygate
