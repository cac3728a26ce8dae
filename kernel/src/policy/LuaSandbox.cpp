#include "LuaSandbox.h"

#include "LuaPolicyFunctions.h"
#include "LuaValueBridge.h"

#include <Poco/Logger.h>

#include <lua.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <utility>

// The Lua library is C and raises errors with longjmp. Every function below that Lua calls
// (lua_CFunction, hook, allocator) is written so that no C++ object with a destructor is
// alive when a Lua error can be raised; C++ code outside a protected call switches the
// memory cap off, so that an allocation there can only fail on real exhaustion.

namespace comfygate {

namespace {

// Only the addresses matter: they key registry entries.
const char prototypeKey = 0;
const char loadingMarker = 0;

std::atomic<std::size_t> liveSandboxes{0};

const char* const baseFunctions[] = {"assert",       "error",    "ipairs",   "next",   "pairs",
                                     "rawequal",     "rawget",   "rawlen",   "rawset", "select",
                                     "getmetatable", "tonumber", "tostring", "type",   "_VERSION"};

// "nsfw.lua:12: ..." or "lib/words.lua:3: ...": the message already names its place.
bool hasLocation(const std::string& message)
{
    const auto colon = message.find(':');
    if (colon == std::string::npos || colon == 0)
        return false;
    for (std::size_t i = 0; i < colon; ++i) {
        if (std::isspace(static_cast<unsigned char>(message[i])))
            return false;
    }
    std::size_t i = colon + 1;
    const std::size_t digitsStart = i;
    while (i < message.size() && std::isdigit(static_cast<unsigned char>(message[i])))
        ++i;
    return i > digitsStart && i < message.size() && message[i] == ':';
}

std::string describeBytes(std::size_t bytes)
{
    constexpr std::size_t mebibyte = 1024 * 1024;
    if (bytes % mebibyte == 0)
        return std::to_string(bytes / mebibyte) + " MiB";
    return std::to_string(bytes) + " bytes";
}

void logScriptMessage(const char* where, const char* text, std::size_t length) noexcept
{
    try {
        Poco::Logger::get("policy").information(std::string(where) + std::string(text, length));
    } catch (...) {
    }
}

bool isLibraryName(const char* name, std::size_t length)
{
    if (length == 0 || length > 64)
        return false;
    for (std::size_t i = 0; i < length; ++i) {
        const char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

// Copies the fields of the table at `source` into a new table left on the stack.
void pushCopy(lua_State* L, int source)
{
    source = lua_absindex(L, source);
    lua_newtable(L);
    const int copy = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, source) != 0) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, copy);
    }
}

} // namespace

LuaSandbox::LuaSandbox(const PolicyLimits& limits,
                       const std::map<std::string, std::string>& settings,
                       const std::set<std::string>& hookNames,
                       std::shared_ptr<const Libraries> libraries,
                       std::shared_ptr<PolicyEffects> effects)
    : _limits(limits), _libraries(std::move(libraries)), _effects(std::move(effects))
{
    _hookInterval =
        static_cast<int>(std::clamp<std::uint64_t>(_limits.instructionsPerCall, 1, 1000));
    // Keeps now() + deadline far from overflowing whatever a configuration says.
    _limits.deadlinePerCall = std::clamp<std::chrono::milliseconds>(
        _limits.deadlinePerCall, std::chrono::milliseconds(0), std::chrono::hours(24));
    _limits.eventDeadline = std::clamp<std::chrono::milliseconds>(
        _limits.eventDeadline, std::chrono::milliseconds(0), std::chrono::hours(24));
    _policyContext.effects = _effects.get();
    _policyContext.memoryCap = &_enforceMemoryCap;
    _state = lua_newstate(&LuaSandbox::allocate, this);
    if (!_state)
        throw std::runtime_error("cannot create a Lua state");
    *static_cast<LuaSandbox**>(lua_getextraspace(_state)) = this;
    openLibraries(settings, hookNames);
    ++liveSandboxes;
}

LuaSandbox::~LuaSandbox()
{
    lua_close(_state);
    --liveSandboxes;
}

std::size_t LuaSandbox::instances()
{
    return liveSandboxes.load();
}

LuaSandbox& LuaSandbox::of(lua_State* L)
{
    return **static_cast<LuaSandbox**>(lua_getextraspace(L));
}

void* LuaSandbox::allocate(void* self, void* block, std::size_t oldSize, std::size_t newSize)
{
    auto& sandbox = *static_cast<LuaSandbox*>(self);
    const std::size_t previous = block ? oldSize : 0;
    if (newSize == 0) {
        std::free(block);
        sandbox._memoryUsed -= previous;
        return nullptr;
    }
    // A refusal makes Lua collect garbage and retry once; only if that fails too does the
    // script get LUA_ERRMEM, which the pcall wrappers then refuse to swallow.
    if (newSize > previous && sandbox._enforceMemoryCap &&
        sandbox._memoryUsed - previous + newSize > sandbox._limits.memoryPerState)
        return nullptr;
    void* resized = std::realloc(block, newSize);
    if (!resized)
        return nullptr;
    sandbox._memoryUsed = sandbox._memoryUsed - previous + newSize;
    return resized;
}

void LuaSandbox::countHook(lua_State* L, lua_Debug* ar)
{
    LuaSandbox& sandbox = of(L);
    if (sandbox._limitHit == Limit::None) {
        sandbox._instructions += static_cast<std::uint64_t>(sandbox._hookInterval);
        char what[96];
        if (sandbox._instructions >= sandbox._limits.instructionsPerCall) {
            sandbox._limitHit = Limit::Instructions;
            std::snprintf(what, sizeof what, "instruction budget of %llu exceeded",
                          static_cast<unsigned long long>(sandbox._limits.instructionsPerCall));
        } else if (std::chrono::steady_clock::now() >= sandbox._deadline) {
            sandbox._limitHit = Limit::Deadline;
            std::snprintf(what, sizeof what, "deadline of %lld ms exceeded",
                          static_cast<long long>(sandbox._runDeadline.count()));
        } else {
            return;
        }
        lua_getinfo(L, "Sl", ar);
        std::snprintf(sandbox._limitMessage, sizeof sandbox._limitMessage, "%s:%d: %s",
                      ar->short_src, ar->currentline, what);
    }
    lua_pushstring(L, sandbox._limitMessage);
    lua_error(L);
}

void LuaSandbox::openLibraries(const std::map<std::string, std::string>& settings,
                               const std::set<std::string>& hookNames)
{
    lua_State* L = _state;
    luaL_requiref(L, "_G", luaopen_base, 1);
    lua_pop(L, 1);

    lua_newtable(L);
    const int prototype = lua_gettop(L);

    lua_newtable(L);
    const int libs = lua_gettop(L);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
    // The original string table stays reachable as the strings' __index: drop dump there.
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_setfield(L, libs, "string");
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 0);
    lua_setfield(L, libs, "table");
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);
    lua_setfield(L, libs, "math");
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);
    lua_setfield(L, libs, "utf8");
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    lua_createtable(L, 0, 3);
    for (const char* name : {"time", "clock", "date"}) {
        lua_getfield(L, -2, name);
        lua_setfield(L, -2, name);
    }
    lua_setfield(L, libs, "os");
    lua_pop(L, 1);
    lua_setfield(L, prototype, "libs");

    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushliteral(L, "string");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    LuaValueBridge::install(L);
    LuaPolicyFunctions::install(L, &_policyContext);

    lua_newtable(L);
    const int base = lua_gettop(L);
    for (const char* name : baseFunctions) {
        lua_getglobal(L, name);
        lua_setfield(L, base, name);
    }
    lua_pushcfunction(L, &LuaSandbox::protectedCall);
    lua_setfield(L, base, "pcall");
    lua_pushcfunction(L, &LuaSandbox::protectedCallWithHandler);
    lua_setfield(L, base, "xpcall");
    lua_pushcfunction(L, &LuaSandbox::setMetatable);
    lua_setfield(L, base, "setmetatable");
    lua_pushcfunction(L, &LuaSandbox::printMessage);
    lua_setfield(L, base, "print");
    lua_createtable(L, 0, 2);
    lua_insert(L, base);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setfield(L, prototype, "environmentMeta");

    lua_createtable(L, 0, static_cast<int>(settings.size()));
    for (const auto& [key, value] : settings) {
        lua_pushlstring(L, value.data(), value.size());
        lua_setfield(L, -2, key.c_str());
    }
    const int realSettings = lua_gettop(L);
    lua_newtable(L);
    lua_createtable(L, 0, 4);
    lua_pushvalue(L, realSettings);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, &LuaSandbox::refuseWrite);
    lua_setfield(L, -2, "__newindex");
    lua_getglobal(L, "next");
    lua_pushvalue(L, realSettings);
    lua_pushcclosure(L, &LuaSandbox::iterateSettings, 2);
    lua_setfield(L, -2, "__pairs");
    lua_pushliteral(L, "read-only");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_setfield(L, prototype, "settings");
    lua_pop(L, 1);

    lua_createtable(L, 0, static_cast<int>(hookNames.size()));
    std::string declared;
    for (const auto& name : hookNames) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, name.c_str());
        declared += (declared.empty() ? "" : ", ") + name;
    }
    lua_newtable(L);
    lua_pushvalue(L, -1);
    _handlersRef = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushstring(L, declared.empty() ? "none" : declared.c_str());
    lua_pushcclosure(L, &LuaSandbox::registerHandler, 3);
    lua_setfield(L, prototype, "on");

    lua_pushcfunction(L, &LuaSandbox::printMessage);
    lua_setfield(L, prototype, "log");

    lua_newtable(L);
    lua_pushcclosure(L, &LuaSandbox::requireLibrary, 1);
    lua_setfield(L, prototype, "require");

    lua_rawsetp(L, LUA_REGISTRYINDEX, &prototypeKey);
    lua_settop(L, 0);
}

void LuaSandbox::pushEnvironment(lua_State* L, bool withRegistration)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &prototypeKey);
    const int prototype = lua_gettop(L);
    lua_createtable(L, 0, 12);
    const int environment = lua_gettop(L);

    lua_getfield(L, prototype, "libs");
    const int libs = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, libs) != 0) {
        lua_pushvalue(L, -2);
        pushCopy(L, -2);
        lua_rawset(L, environment);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);

    lua_pushvalue(L, environment);
    lua_setfield(L, environment, "_G");

    lua_createtable(L, 0, 3);
    lua_getfield(L, prototype, "settings");
    lua_setfield(L, -2, "settings");
    lua_getfield(L, prototype, "log");
    lua_setfield(L, -2, "log");
    LuaPolicyFunctions::addTo(L, -1);
    if (withRegistration) {
        lua_getfield(L, prototype, "on");
        lua_setfield(L, -2, "on");
    }
    lua_setfield(L, environment, "policy");
    lua_getfield(L, prototype, "require");
    lua_setfield(L, environment, "require");

    lua_getfield(L, prototype, "environmentMeta");
    lua_setmetatable(L, environment);
    lua_remove(L, prototype);
}

// Expects the compiled chunk at index 1 and `withRegistration` as a boolean at index 2.
int LuaSandbox::runChunk(lua_State* L)
{
    const bool withRegistration = lua_toboolean(L, 2);
    lua_settop(L, 1);
    pushEnvironment(L, withRegistration);
    lua_setupvalue(L, 1, 1);
    lua_call(L, 0, 0);
    return 0;
}

int LuaSandbox::registerHandler(lua_State* L)
{
    const char* hook = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (!of(L)._loading)
        return luaL_error(L, "policy.on may only be called while a script loads");
    lua_settop(L, 2);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL)
        return luaL_error(L, "policy.on: unknown hook '%s' (declared hooks: %s)", hook,
                          lua_tostring(L, lua_upvalueindex(3)));
    lua_pop(L, 1);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, lua_upvalueindex(2)) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, 1);
        lua_pushvalue(L, -2);
        lua_rawset(L, lua_upvalueindex(2));
    }
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, static_cast<lua_Integer>(lua_rawlen(L, -2)) + 1);
    return 0;
}

int LuaSandbox::requireLibrary(lua_State* L)
{
    std::size_t length = 0;
    const char* name = luaL_checklstring(L, 1, &length);
    if (!isLibraryName(name, length))
        return luaL_error(L,
                          "require: '%s' is not a policy library name (policy libraries are "
                          "lib/<name>.lua with a name of a-z, 0-9 and _)",
                          name);
    lua_settop(L, 1);
    const int cache = lua_upvalueindex(1);
    lua_pushvalue(L, 1);
    lua_rawget(L, cache);
    if (lua_touserdata(L, -1) == &loadingMarker)
        return luaL_error(L, "require: library '%s' requires itself (directly or indirectly)",
                          name);
    if (!lua_isnil(L, -1))
        return 1;
    lua_pop(L, 1);

    const Libraries* libraries = of(L)._libraries.get();
    const auto found =
        libraries ? libraries->find(std::string_view(name, length)) : Libraries::const_iterator{};
    if (!libraries || found == libraries->end())
        return luaL_error(L, "require: no policy library '%s' (looked for lib/%s.lua)", name, name);
    const char* chunkName = lua_pushfstring(L, "@lib/%s.lua", name);
    if (luaL_loadbufferx(L, found->second.data(), found->second.size(), chunkName, "t") != LUA_OK)
        return lua_error(L);
    pushEnvironment(L, false);
    lua_setupvalue(L, -2, 1);

    lua_pushvalue(L, 1);
    lua_pushlightuserdata(L, const_cast<char*>(&loadingMarker));
    lua_rawset(L, cache);
    const int status = lua_pcall(L, 0, 1, 0);
    if (status != LUA_OK) {
        if (status == LUA_ERRMEM)
            of(L)._memoryExhausted = true;
        lua_pushvalue(L, 1);
        lua_pushnil(L);
        lua_rawset(L, cache);
        return lua_error(L);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, -2);
    lua_rawset(L, cache);
    return 1;
}

int LuaSandbox::printMessage(lua_State* L)
{
    const int count = lua_gettop(L);
    luaL_Buffer buffer;
    luaL_buffinit(L, &buffer);
    for (int i = 1; i <= count; ++i) {
        if (i > 1)
            luaL_addchar(&buffer, ' ');
        luaL_tolstring(L, i, nullptr);
        luaL_addvalue(&buffer);
    }
    luaL_pushresult(&buffer);
    luaL_where(L, 1);
    std::size_t length = 0;
    const char* text = lua_tolstring(L, -2, &length);
    logScriptMessage(lua_tostring(L, -1), text, length);
    return 0;
}

int LuaSandbox::protectedCall(lua_State* L)
{
    luaL_checkany(L, 1);
    const int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    if (status == LUA_ERRMEM)
        of(L)._memoryExhausted = true;
    if (status != LUA_OK && of(L).runAborted())
        return lua_error(L);
    lua_pushboolean(L, status == LUA_OK);
    lua_insert(L, 1);
    return lua_gettop(L);
}

int LuaSandbox::protectedCallWithHandler(lua_State* L)
{
    const int count = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    // f, handler, args... -> handler, f, args...
    lua_pushvalue(L, 1);
    lua_copy(L, 2, 1);
    lua_copy(L, -1, 2);
    lua_pop(L, 1);
    const int status = lua_pcall(L, count - 2, LUA_MULTRET, 1);
    if (status == LUA_ERRMEM)
        of(L)._memoryExhausted = true;
    if (status != LUA_OK && of(L).runAborted())
        return lua_error(L);
    lua_pushboolean(L, status == LUA_OK);
    lua_replace(L, 1);
    return lua_gettop(L);
}

// Lua disables hooks while finalizers run, so a __gc handler could loop forever unseen.
int LuaSandbox::setMetatable(lua_State* L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const int type = lua_type(L, 2);
    luaL_argexpected(L, type == LUA_TNIL || type == LUA_TTABLE, 2, "nil or table");
    if (type == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc metamethods are not allowed in policies");
        lua_pop(L, 1);
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

int LuaSandbox::refuseWrite(lua_State* L)
{
    return luaL_error(L, "policy.settings is read-only");
}

int LuaSandbox::iterateSettings(lua_State* L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushnil(L);
    return 3;
}

void LuaSandbox::beginRun()
{
    _instructions = 0;
    _limitHit = Limit::None;
    _memoryExhausted = false;
    _runDeadline = _limits.deadlinePerCall;
    _deadline = std::chrono::steady_clock::now() + _runDeadline;
    lua_sethook(_state, &LuaSandbox::countHook, LUA_MASKCOUNT, _hookInterval);
}

std::string LuaSandbox::failureMessage(int status, const std::string& fallbackLocation)
{
    if (status == LUA_ERRMEM)
        _memoryExhausted = true;
    if (_limitHit != Limit::None)
        return _limitMessage;
    if (_memoryExhausted)
        return fallbackLocation + ": memory limit of " + describeBytes(_limits.memoryPerState) +
               " exceeded";
    std::string message;
    if (lua_type(_state, -1) == LUA_TSTRING)
        message = lua_tostring(_state, -1);
    else
        message = std::string("error object is a ") + luaL_typename(_state, -1) + " value";
    if (!hasLocation(message))
        message = fallbackLocation + ": " + message;
    return message;
}

std::string LuaSandbox::functionLocation(int index)
{
    lua_Debug info;
    lua_pushvalue(_state, index);
    lua_getinfo(_state, ">S", &info);
    return std::string(info.short_src) + ":" + std::to_string(info.linedefined);
}

std::string LuaSandbox::compile(const std::string& name, const std::string& source)
{
    lua_settop(_state, 0);
    const std::string chunkName = "@" + name;
    beginRun();
    _enforceMemoryCap = true;
    const int status =
        luaL_loadbufferx(_state, source.data(), source.size(), chunkName.c_str(), "t");
    _enforceMemoryCap = false;
    std::string error = status == LUA_OK ? std::string() : failureMessage(status, name + ":1");
    lua_settop(_state, 0);
    return error;
}

std::string LuaSandbox::loadScript(const std::string& name, const std::string& source)
{
    lua_settop(_state, 0);
    const std::string chunkName = "@" + name;
    lua_pushcfunction(_state, &LuaSandbox::runChunk);
    beginRun();
    _enforceMemoryCap = true;
    int status = luaL_loadbufferx(_state, source.data(), source.size(), chunkName.c_str(), "t");
    if (status == LUA_OK) {
        lua_pushboolean(_state, 1);
        _loading = true;
        status = lua_pcall(_state, 2, 0, 0);
        _loading = false;
    }
    _enforceMemoryCap = false;
    std::string error = status == LUA_OK ? std::string() : failureMessage(status, name + ":1");
    lua_settop(_state, 0);
    return error;
}

Verdict LuaSandbox::callHook(const std::string& hook, const Poco::Dynamic::Var& subject,
                             const Poco::Dynamic::Var& request)
{
    Verdict verdict;
    lua_State* L = _state;
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, _handlersRef);
    lua_pushlstring(L, hook.data(), hook.size());
    if (lua_rawget(L, 1) != LUA_TTABLE) {
        lua_settop(L, 0);
        return verdict;
    }
    const auto handlers = static_cast<lua_Integer>(lua_rawlen(L, 2));

    auto fail = [&](std::string error) {
        verdict.failed = true;
        verdict.error = std::move(error);
        verdict.decision = Verdict::Decision::Allow;
        verdict.value.clear();
        lua_settop(L, 0);
        return verdict;
    };

    beginRun();
    if (hook == "event") {
        _runDeadline = _limits.eventDeadline;
        _deadline = std::chrono::steady_clock::now() + _runDeadline;
    }
    // The policy functions learn which hook runs (http and tag need `event`); restored on
    // every way out, since a test runner may call a hook from inside a script's run.
    struct HookScope
    {
        std::string& current;
        std::string previous;
        ~HookScope() { current = std::move(previous); }
    } hookScope{_policyContext.hook, std::exchange(_policyContext.hook, hook)};
    Poco::Dynamic::Var current = request;
    bool modified = false;
    for (lua_Integer i = 1; i <= handlers; ++i) {
        lua_settop(L, 2);
        lua_rawgeti(L, 2, i);
        lua_pushvalue(L, 3);
        try {
            LuaValueBridge::push(L, subject);
            LuaValueBridge::push(L, current);
        } catch (...) {
            lua_settop(L, 0);
            throw;
        }
        _enforceMemoryCap = true;
        const int status = lua_pcall(L, 2, 2, 0);
        _enforceMemoryCap = false;
        if (status != LUA_OK)
            return fail(failureMessage(status, functionLocation(3)));

        const int result = 4;
        const int type = lua_type(L, result);
        if (type == LUA_TNIL || (type == LUA_TBOOLEAN && lua_toboolean(L, result)))
            continue;
        if (type == LUA_TBOOLEAN) {
            verdict.decision = Verdict::Decision::Deny;
            verdict.reason = lua_type(L, result + 1) == LUA_TSTRING ? lua_tostring(L, result + 1)
                                                                    : "denied by policy";
            verdict.value.clear();
            lua_settop(L, 0);
            return verdict;
        }
        if (type != LUA_TTABLE) {
            pushReturnProblem(L, hook.c_str(), 3, result);
            return fail(lua_tostring(L, -1));
        }
        try {
            current = LuaValueBridge::toVar(L, result, current);
        } catch (const std::invalid_argument& e) {
            return fail(functionLocation(3) + ": handler for '" + hook +
                        "' returned a table that cannot be converted: " + e.what());
        }
        modified = true;
    }
    lua_settop(L, 0);
    if (modified) {
        verdict.decision = Verdict::Decision::Modify;
        verdict.value = current;
    }
    return verdict;
}

std::map<std::string, std::size_t> LuaSandbox::handlerCounts()
{
    std::map<std::string, std::size_t> counts;
    lua_State* L = _state;
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, _handlersRef);
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
        if (lua_type(L, -2) == LUA_TSTRING)
            counts[lua_tostring(L, -2)] = lua_rawlen(L, -1);
        lua_pop(L, 1);
    }
    lua_settop(L, 0);
    return counts;
}

// ---- Policy tests and checks ----

namespace {

// What the policy functions see as the hook while a test file's own lines run: counters and
// kv work there (a test may prepare or read them); http and tag stay event-only.
const char* const testFileHook = "test file";

} // namespace

// Leaves on the stack a copy of the value at `index` as the engine would hand it to the next
// handler (through a Poco::Dynamic::Var, so objects keep their marker and functions are
// refused), or the conversion's error message; returns false then. The memory cap is off
// while C++ objects are alive, so only real exhaustion can raise a Lua error here.
bool LuaSandbox::pushThroughBridge(lua_State* L, int index)
{
    LuaSandbox& self = of(L);
    index = lua_absindex(L, index);
    const bool capped = self._enforceMemoryCap;
    self._enforceMemoryCap = false;
    char problem[256] = {};
    bool converted = true;
    try {
        const Poco::Dynamic::Var value = LuaValueBridge::toVar(L, index);
        LuaValueBridge::push(L, value);
    } catch (const std::exception& e) {
        std::snprintf(problem, sizeof problem, "%s", e.what());
        converted = false;
    }
    self._enforceMemoryCap = capped;
    if (!converted)
        lua_pushstring(L, problem);
    return converted;
}

// Pushes "file:line: <hook> handler returned a <type>; ..." for the handler at `handler`
// whose first result is at `result`.
void LuaSandbox::pushReturnProblem(lua_State* L, const char* hook, int handler, int result)
{
    lua_Debug info;
    lua_pushvalue(L, handler);
    lua_getinfo(L, ">S", &info);
    if (lua_type(L, result) == LUA_TBOOLEAN)
        lua_pushfstring(L, "false and a %s", luaL_typename(L, result + 1));
    else
        lua_pushfstring(L, "a %s", luaL_typename(L, result));
    lua_pushfstring(L,
                    "%s:%d: %s handler returned %s; return nothing (allow), false and a reason "
                    "(deny) or a table (rewrite)",
                    info.short_src, info.linedefined, hook, lua_tostring(L, -1));
    lua_remove(L, -2);
}

// policy.call(hook, subject, request) in a test file: the handlers' decision, exactly as
// callHook() decides it, as Lua values. A handler's error is raised as it is.
int LuaSandbox::callFromTest(lua_State* L)
{
    const char* hook = luaL_checkstring(L, 1);
    lua_settop(L, 3);
    LuaSandbox& self = of(L);
    ++self._testCalls;

    lua_rawgetp(L, LUA_REGISTRYINDEX, &prototypeKey);
    lua_getfield(L, -1, "on");
    lua_getupvalue(L, -1, 1);
    if (lua_getfield(L, -1, hook) == LUA_TNIL) {
        lua_getupvalue(L, -3, 3);
        return luaL_error(L, "policy.call: unknown hook '%s' (declared hooks: %s)", hook,
                          lua_tostring(L, -1));
    }
    lua_settop(L, 3);

    if (!pushThroughBridge(L, 2))
        return luaL_error(L, "policy.call: the subject cannot be passed to a handler: %s",
                          lua_tostring(L, -1));
    if (!pushThroughBridge(L, 3))
        return luaL_error(L, "policy.call: the request cannot be passed to a handler: %s",
                          lua_tostring(L, -1));
    const int subject = 4;
    const int current = 5;
    lua_rawgeti(L, LUA_REGISTRYINDEX, self._handlersRef);
    lua_getfield(L, -1, hook);
    lua_remove(L, -2);
    const int handlers = 6;
    const lua_Integer count = lua_istable(L, handlers) ? static_cast<lua_Integer>(lua_rawlen(L, handlers)) : 0;
    bool modified = false;
    // The handlers run as the hook (http and tag need `event`); every way out below restores
    // the test file's own marker (handlers cannot reach policy.call, so calls do not nest).
    for (lua_Integer i = 1; i <= count; ++i) {
        self._policyContext.hook = hook;
        lua_settop(L, handlers);
        lua_rawgeti(L, handlers, i);
        const int handler = handlers + 1;
        lua_pushvalue(L, handler);
        if (!pushThroughBridge(L, subject) || !pushThroughBridge(L, current)) {
            self._policyContext.hook = testFileHook;
            return lua_error(L);
        }
        const int status = lua_pcall(L, 2, 2, 0);
        self._policyContext.hook = testFileHook;
        if (status == LUA_ERRMEM)
            self._memoryExhausted = true;
        if (status != LUA_OK)
            return lua_error(L);
        const int result = handler + 1;
        const int type = lua_type(L, result);
        if (type == LUA_TNIL || (type == LUA_TBOOLEAN && lua_toboolean(L, result)))
            continue;
        if (type == LUA_TBOOLEAN) {
            lua_pushboolean(L, 0);
            if (lua_type(L, result + 1) == LUA_TSTRING)
                lua_pushvalue(L, result + 1);
            else
                lua_pushliteral(L, "denied by policy");
            return 2;
        }
        if (type != LUA_TTABLE) {
            pushReturnProblem(L, hook, handler, result);
            return lua_error(L);
        }
        if (!pushThroughBridge(L, result)) {
            lua_pushvalue(L, handler);
            lua_Debug info;
            lua_getinfo(L, ">S", &info);
            return luaL_error(L, "%s:%d: handler for '%s' returned a table that cannot be converted: %s",
                              info.short_src, info.linedefined, hook, lua_tostring(L, -1));
        }
        lua_replace(L, current);
        modified = true;
    }
    if (!modified)
        return 0;
    lua_pushvalue(L, current);
    return 1;
}

// Puts the test file's current line in front of an error raised anywhere below it (an
// assert, a handler's error inside policy.call), unless the message already starts there.
int LuaSandbox::testMessageHandler(lua_State* L)
{
    LuaSandbox& self = of(L);
    if (self.runAborted())
        return 1;
    if (lua_type(L, 1) != LUA_TSTRING)
        luaL_tolstring(L, 1, nullptr);
    else
        lua_pushvalue(L, 1);
    const char* message = lua_tostring(L, -1);
    const std::size_t nameLength = self._testChunk.size();
    if (std::strncmp(message, self._testChunk.c_str(), nameLength) == 0 && message[nameLength] == ':')
        return 1;
    lua_Debug info;
    for (int level = 1; lua_getstack(L, level, &info); ++level) {
        lua_getinfo(L, "Sl", &info);
        if (info.currentline > 0 && self._testChunk == info.short_src) {
            lua_pushfstring(L, "%s:%d: %s", info.short_src, info.currentline, message);
            return 1;
        }
    }
    return 1;
}

std::string LuaSandbox::runTest(const std::string& name, const std::string& source,
                                const std::function<void(lua_State*)>& pushTestLibrary)
{
    lua_State* L = _state;
    lua_settop(L, 0);
    _testChunk = name;
    _testCalls = 0;
    const std::string chunkName = "@" + name;
    lua_pushcfunction(L, &LuaSandbox::testMessageHandler);
    int status = luaL_loadbufferx(L, source.data(), source.size(), chunkName.c_str(), "t");
    if (status == LUA_OK) {
        pushEnvironment(L, false);
        lua_getfield(L, -1, "policy");
        lua_pushcfunction(L, &LuaSandbox::callFromTest);
        lua_setfield(L, -2, "call");
        pushTestLibrary(L);
        lua_setfield(L, -2, "test");
        lua_pop(L, 1);
        lua_setupvalue(L, 2, 1);
        beginRun();
        _policyContext.hook = testFileHook;
        _enforceMemoryCap = true;
        status = lua_pcall(L, 0, 0, 1);
        _enforceMemoryCap = false;
        _policyContext.hook.clear();
    }
    std::string error = status == LUA_OK ? std::string() : failureMessage(status, name + ":1");
    lua_settop(L, 0);
    return error;
}

std::vector<std::string> LuaSandbox::checkHandlerReturns(const std::string& hook,
                                                         const Poco::Dynamic::Var& subject,
                                                         const Poco::Dynamic::Var& request,
                                                         std::vector<std::string>& failures)
{
    std::vector<std::string> problems;
    lua_State* L = _state;
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, _handlersRef);
    lua_pushlstring(L, hook.data(), hook.size());
    if (lua_rawget(L, 1) != LUA_TTABLE) {
        lua_settop(L, 0);
        return problems;
    }
    const auto handlers = static_cast<lua_Integer>(lua_rawlen(L, 2));
    for (lua_Integer i = 1; i <= handlers; ++i) {
        lua_settop(L, 2);
        lua_rawgeti(L, 2, i);
        lua_pushvalue(L, 3);
        try {
            LuaValueBridge::push(L, subject);
            LuaValueBridge::push(L, request);
        } catch (...) {
            lua_settop(L, 0);
            throw;
        }
        beginRun();
        _policyContext.hook = hook;
        _enforceMemoryCap = true;
        const int status = lua_pcall(L, 2, 2, 0);
        _enforceMemoryCap = false;
        _policyContext.hook.clear();
        if (status != LUA_OK) {
            failures.push_back(failureMessage(status, functionLocation(3)));
            if (_memoryExhausted)
                break;
            continue;
        }
        const int type = lua_type(L, 4);
        const bool allowed = type == LUA_TNIL || type == LUA_TTABLE ||
                             (type == LUA_TBOOLEAN && lua_toboolean(L, 4)) ||
                             (type == LUA_TBOOLEAN && lua_type(L, 5) == LUA_TSTRING);
        if (!allowed) {
            pushReturnProblem(L, hook.c_str(), 3, 4);
            problems.emplace_back(lua_tostring(L, -1));
        }
    }
    lua_settop(L, 0);
    return problems;
}

} // namespace comfygate
