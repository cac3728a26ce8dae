#pragma once

#include <Poco/Dynamic/Var.h>

struct lua_State;

namespace comfygate {

/// Copies values between Poco::Dynamic::Var trees and Lua.
///
/// Var to Lua: Poco::JSON::Object (or ::Ptr), Dynamic::Struct<std::string> (plain or ordered),
/// Poco::JSON::Array (or ::Ptr), std::vector<Var>, std::vector<std::string>, strings, numbers,
/// bools and empty (nil). Every container becomes a fresh table, so Lua never sees the
/// caller's objects. Tables made from objects carry a protected marker metatable
/// (getmetatable(t) == "json.object") so that an empty object converts back as an object.
///
/// Lua to Var: a marked table becomes a Poco::JSON::Object::Ptr; an unmarked table whose keys
/// are exactly 1..n (or that is empty) becomes a Poco::JSON::Array::Ptr; any other table an
/// Object::Ptr (integer keys written as decimal strings). Integers become Poco::Int64, other
/// numbers double, strings std::string. Functions, userdata, threads, non-finite numbers,
/// other key types and nesting deeper than maxDepth are refused with std::invalid_argument.
///
/// Two values cannot live in Lua as they are: a null (a table cannot hold nil: null members are
/// left out, null array elements skipped) and an unsigned integer above 2^63 - 1 (a ComfyUI
/// seed may be up to 2^64 - 1; it reaches Lua as a float). `toVar(L, index, original)` reads a
/// table that started as `original` (a hook's modified request) and puts both back where the
/// script did not change them: null members return, null elements return to their places when
/// the array kept its length, and a float equal to the original's big integer is that integer.
///
/// Neither direction runs Lua code or metamethods. Pushing allocates in the state: callers
/// must make sure an allocation failure cannot raise a Lua error outside a protected call.
class LuaValueBridge
{
public:
    static constexpr int maxDepth = 64;

    /// Creates the marker metatable in the state's registry (once per state).
    static void install(lua_State* L);

    /// Pushes a copy of `value`; pushes nothing and throws std::invalid_argument on an
    /// unsupported type or too deep nesting.
    static void push(lua_State* L, const Poco::Dynamic::Var& value);

    /// Converts the value at `index` (nil converts to an empty Var).
    static Poco::Dynamic::Var toVar(lua_State* L, int index);

    /// Converts the value at `index` that was pushed from `original` and maybe changed since,
    /// restoring what Lua cannot hold where the script left it (see above).
    static Poco::Dynamic::Var toVar(lua_State* L, int index, const Poco::Dynamic::Var& original);

private:
    static void pushValue(lua_State* L, const Poco::Dynamic::Var& value, int depth);
    static Poco::Dynamic::Var toValue(lua_State* L, int index, int depth, const Poco::Dynamic::Var* original);
    static Poco::Dynamic::Var tableToValue(lua_State* L, int index, int depth, const Poco::Dynamic::Var* original);
};

} // namespace comfygate
