#include "PolicyTestLibrary.h"

#include "LuaValueBridge.h"

#include <Poco/JSON/Stringifier.h>

#include <lua.hpp>

#include <cstdio>
#include <sstream>

// Every function validates its arguments with the luaL_check* functions first (no C++
// object alive yet), does its C++ work inside try/catch, and raises a Lua error only after
// every C++ object of that work is gone.

namespace comfygate {

void PolicyTestLibrary::push(lua_State* L)
{
    static const luaL_Reg functions[] = {{"set_time", &PolicyTestLibrary::setTime},
                                         {"advance", &PolicyTestLibrary::advance},
                                         {"notifications", &PolicyTestLibrary::notifications},
                                         {"tags", &PolicyTestLibrary::tags},
                                         {"stub_http", &PolicyTestLibrary::stubHttp},
                                         {"http_calls", &PolicyTestLibrary::httpCalls},
                                         {"reset", &PolicyTestLibrary::reset},
                                         {nullptr, nullptr}};
    lua_createtable(L, 0, 7);
    lua_pushlightuserdata(L, this);
    luaL_setfuncs(L, functions, 1);
}

PolicyTestLibrary& PolicyTestLibrary::of(lua_State* L)
{
    return *static_cast<PolicyTestLibrary*>(lua_touserdata(L, lua_upvalueindex(1)));
}

int PolicyTestLibrary::pushResult(lua_State* L)
{
    if (_problem[0] == '\0') {
        try {
            LuaValueBridge::push(L, _result);
        } catch (const std::exception& e) {
            std::snprintf(_problem, sizeof _problem, "policy.test: %s", e.what());
        }
    }
    _result.clear();
    if (_problem[0] == '\0')
        return 1;
    lua_pushstring(L, _problem);
    _problem[0] = '\0';
    return lua_error(L);
}

int PolicyTestLibrary::setTime(lua_State* L)
{
    of(L)._effects.setTime(static_cast<std::int64_t>(luaL_checkinteger(L, 1)));
    return 0;
}

int PolicyTestLibrary::advance(lua_State* L)
{
    const lua_Integer seconds = luaL_checkinteger(L, 1);
    luaL_argcheck(L, seconds >= 0, 1, "policy.test.advance: seconds must not be negative");
    of(L)._effects.advance(static_cast<std::int64_t>(seconds));
    return 0;
}

int PolicyTestLibrary::pushRecorded(lua_State* L, const char* part)
{
    try {
        _result = _effects.recordJson()->get(part);
    } catch (const std::exception& e) {
        std::snprintf(_problem, sizeof _problem, "policy.test: %s", e.what());
    }
    return pushResult(L);
}

int PolicyTestLibrary::notifications(lua_State* L)
{
    return of(L).pushRecorded(L, "notifications");
}

int PolicyTestLibrary::tags(lua_State* L)
{
    return of(L).pushRecorded(L, "tags");
}

int PolicyTestLibrary::httpCalls(lua_State* L)
{
    return of(L).pushRecorded(L, "http_calls");
}

// stub_http(url_prefix, {status = 200, body = "text" | json = {...}, content_type = "..."})
int PolicyTestLibrary::stubHttp(lua_State* L)
{
    luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    lua_getfield(L, 2, "status");
    lua_getfield(L, 2, "body");
    lua_getfield(L, 2, "json");
    lua_getfield(L, 2, "content_type");
    const int status = 3, body = 4, json = 5, contentType = 6;
    if (!lua_isnil(L, status) && !lua_isinteger(L, status))
        return luaL_error(L, "policy.test.stub_http: status must be an integer");
    const lua_Integer code = lua_isnil(L, status) ? 200 : lua_tointeger(L, status);
    if (code < 100 || code > 599)
        return luaL_error(L, "policy.test.stub_http: status must be 100..599");
    if (!lua_isnil(L, body) && lua_type(L, body) != LUA_TSTRING)
        return luaL_error(L, "policy.test.stub_http: body must be a string");
    if (!lua_isnil(L, body) && !lua_isnil(L, json))
        return luaL_error(L, "policy.test.stub_http: give body or json, not both");
    if (!lua_isnil(L, contentType) && lua_type(L, contentType) != LUA_TSTRING)
        return luaL_error(L, "policy.test.stub_http: content_type must be a string");

    PolicyTestLibrary& self = of(L);
    try {
        PolicyEffects::HttpAnswer answer;
        answer.status = static_cast<int>(code);
        if (!lua_isnil(L, json)) {
            std::ostringstream text;
            Poco::JSON::Stringifier::condense(LuaValueBridge::toVar(L, json), text);
            answer.body = text.str();
            answer.contentType = "application/json";
        } else if (!lua_isnil(L, body)) {
            std::size_t length = 0;
            const char* bytes = lua_tolstring(L, body, &length);
            answer.body.assign(bytes, length);
            answer.contentType = "text/plain";
        }
        if (!lua_isnil(L, contentType))
            answer.contentType = lua_tostring(L, contentType);
        self._effects.stubHttp(lua_tostring(L, 1), std::move(answer));
    } catch (const std::exception& e) {
        std::snprintf(self._problem, sizeof self._problem, "policy.test.stub_http: %s", e.what());
    }
    if (self._problem[0] == '\0')
        return 0;
    lua_pushstring(L, self._problem);
    self._problem[0] = '\0';
    return lua_error(L);
}

int PolicyTestLibrary::reset(lua_State* L)
{
    of(L)._effects.reset();
    return 0;
}

} // namespace comfygate
