#include "LuaPolicyFunctions.h"

#include "LuaValueBridge.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/String.h>

#include <unicode/gregocal.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <lua.hpp>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <sstream>

// Every lua_CFunction here follows one pattern: check the arguments with the Lua API (which
// may raise Lua errors, so only plain pointers and numbers live on the C stack meanwhile),
// then do the C++ work inside guarded() (which catches every exception and leaves a message
// in a char array), then raise the message or push the result from the context's members.

namespace comfygate {

namespace {

// Only the addresses matter: they key registry entries.
const char contextKey = 0;
const char* const counterType = "comfygate.policy.counter";

constexpr std::size_t errorCapacity = 512;
using ErrorText = char[errorCapacity];

PolicyCallContext& contextOf(lua_State* L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &contextKey);
    auto* context = static_cast<PolicyCallContext*>(lua_touserdata(L, -1));
    lua_pop(L, 1);
    return *context;
}

// Runs `work`; on an exception writes "policy.x: message" into `error` and returns false.
template <class Work>
bool guarded(ErrorText& error, const char* function, Work&& work) noexcept
{
    const char* message = "unknown error";
    bool refusal = false;
    try {
        work();
        return true;
    } catch (const PolicyEffectError& e) {
        refusal = true;
        std::snprintf(error, errorCapacity, "%s", e.what());
        message = nullptr;
    } catch (const std::exception& e) {
        std::snprintf(error, errorCapacity, "%s", e.what());
        message = nullptr;
    } catch (...) {
    }
    if (message)
        std::snprintf(error, errorCapacity, "%s", message);
    // Effects name the function themselves ("policy.notify: no channel ..."); other
    // failures (database, network) get it added.
    const std::size_t prefix = std::strlen(function);
    if (std::strncmp(error, function, prefix) != 0 || error[prefix] != ':') {
        char original[errorCapacity];
        std::memcpy(original, error, errorCapacity);
        std::snprintf(error, errorCapacity, "%s%s %.440s", function, refusal ? ":" : " failed:", original);
    }
    return false;
}

int raise(lua_State* L, const ErrorText& error)
{
    return luaL_error(L, "%s", error);
}

// Counters, kv, notify, http and tag: inside handlers only, and only with effects.
PolicyEffects& effectsFor(lua_State* L, const char* function)
{
    PolicyCallContext& context = contextOf(L);
    if (context.hook.empty())
        luaL_error(L,
                   "%s works inside handlers only (register one with policy.on), not while a "
                   "script loads",
                   function);
    if (!context.effects)
        luaL_error(L, "%s is not available here (this policy engine has no effects)", function);
    return *context.effects;
}

// http and tag: the event hook runs after the fact, on a background worker, so waiting on a
// remote server there delays no request.
PolicyEffects& eventEffectsFor(lua_State* L, const char* function)
{
    PolicyEffects& effects = effectsFor(L, function);
    const PolicyCallContext& context = contextOf(L);
    if (context.hook != "event")
        luaL_error(L,
                   "%s is only available in the event hook, which runs after the fact; register "
                   "it with policy.on('event', ...) (this is the '%s' hook)",
                   function, context.hook.c_str());
    return effects;
}

bool isNameChar(char c, bool allowUpper)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
           (allowUpper && c >= 'A' && c <= 'Z');
}

bool isName(const char* text, std::size_t length, std::size_t maxLength, bool allowUpper = false)
{
    if (length == 0 || length > maxLength)
        return false;
    for (std::size_t i = 0; i < length; ++i) {
        if (!isNameChar(text[i], allowUpper))
            return false;
    }
    return true;
}

const char* typeName(lua_State* L, int index)
{
    return luaL_typename(L, index);
}

// A string argument (numbers are taken as their text: user ids often are integers).
const char* checkText(lua_State* L, int index, const char* function, const char* what,
                      std::size_t maxLength, std::size_t& length)
{
    const int type = lua_type(L, index);
    if (type != LUA_TSTRING && type != LUA_TNUMBER)
        luaL_error(L, "%s: %s must be a string (got %s)", function, what, typeName(L, index));
    const char* text = lua_tolstring(L, index, &length);
    if (length == 0 || length > maxLength)
        luaL_error(L, "%s: %s must be 1..%d bytes (got %d)", function, what,
                   static_cast<int>(maxLength), static_cast<int>(length));
    return text;
}

lua_Integer checkInteger(lua_State* L, int index, const char* function, const char* what,
                         lua_Integer min, lua_Integer max)
{
    int isInteger = 0;
    const lua_Integer value = lua_tointegerx(L, index, &isInteger);
    if (lua_type(L, index) != LUA_TNUMBER || !isInteger || value < min || value > max)
        luaL_error(L, "%s: %s must be an integer in %I..%I", function, what, min, max);
    return value;
}

std::string toJson(const Poco::Dynamic::Var& value)
{
    std::ostringstream text;
    Poco::JSON::Stringifier::condense(value, text);
    return text.str();
}

// Any JSON value, also a bare string or number (which Poco's parser refuses at the top level).
Poco::Dynamic::Var parseJsonValue(const std::string& json)
{
    const Poco::Dynamic::Var wrapped = Poco::JSON::Parser().parse("[" + json + "]");
    return wrapped.extract<Poco::JSON::Array::Ptr>()->get(0);
}

// Pushes context.resultValue. LuaValueBridge::push is C++ with objects on the stack, so an
// allocation there must not raise a Lua error: the memory cap is off meanwhile, as for all C++
// code in the sandbox. The values are bounded by the effects' own caps (kv value size, http
// answer size) and still counted, so the next allocation of the script meets the cap.
bool pushResult(lua_State* L, PolicyCallContext& context, ErrorText& error, const char* function)
{
    const bool capWasOn = context.memoryCap && *context.memoryCap;
    if (context.memoryCap)
        *context.memoryCap = false;
    const bool pushed = guarded(error, function, [&] { LuaValueBridge::push(L, context.resultValue); });
    if (context.memoryCap)
        *context.memoryCap = capWasOn;
    context.resultValue.clear();
    return pushed;
}

// ---- clock ----

int policyNow(lua_State* L)
{
    PolicyEffects* effects = contextOf(L).effects;
    std::int64_t now = 0;
    ErrorText error;
    if (!guarded(error, "policy.now", [&] { now = effects ? effects->now() : std::time(nullptr); }))
        return raise(L, error);
    lua_pushinteger(L, now);
    return 1;
}

struct LocalTime
{
    int year, month, day, hour, min, sec, wday, yday;
    bool isdst;
    std::int64_t offset;
};

int policyLocaltime(lua_State* L)
{
    const char* function = "policy.localtime";
    std::size_t length = 3;
    const char* zoneName = "UTC";
    if (!lua_isnoneornil(L, 1)) {
        if (lua_type(L, 1) != LUA_TSTRING)
            return luaL_error(L, "%s: tz must be an IANA time zone name such as 'Europe/Berlin' (got %s)",
                              function, typeName(L, 1));
        zoneName = lua_tolstring(L, 1, &length);
    }
    PolicyEffects* effects = contextOf(L).effects;
    LocalTime local{};
    ErrorText error;
    const bool ok = guarded(error, function, [&] {
        const std::int64_t now = effects ? effects->now() : std::time(nullptr);
        const std::string name(zoneName, length);
        std::unique_ptr<icu::TimeZone> zone(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(name)));
        if (!zone || *zone == icu::TimeZone::getUnknown())
            throw PolicyEffectError("policy.localtime: unknown time zone '" + name +
                                    "' (use an IANA name such as 'Europe/Berlin' or 'UTC')");
        UErrorCode status = U_ZERO_ERROR;
        icu::GregorianCalendar calendar(zone.release(), status);
        calendar.setTime(static_cast<UDate>(now) * 1000.0, status);
        local.year = calendar.get(UCAL_EXTENDED_YEAR, status);
        local.month = calendar.get(UCAL_MONTH, status) + 1;
        local.day = calendar.get(UCAL_DATE, status);
        local.hour = calendar.get(UCAL_HOUR_OF_DAY, status);
        local.min = calendar.get(UCAL_MINUTE, status);
        local.sec = calendar.get(UCAL_SECOND, status);
        local.wday = calendar.get(UCAL_DAY_OF_WEEK, status); // ICU: 1 = Sunday, like os.date
        local.yday = calendar.get(UCAL_DAY_OF_YEAR, status);
        const int dst = calendar.get(UCAL_DST_OFFSET, status);
        local.isdst = dst != 0;
        local.offset = (static_cast<std::int64_t>(calendar.get(UCAL_ZONE_OFFSET, status)) + dst) / 1000;
        if (U_FAILURE(status))
            throw std::runtime_error(std::string("ICU calendar error: ") + u_errorName(status));
    });
    if (!ok)
        return raise(L, error);
    lua_createtable(L, 0, 11);
    const std::pair<const char*, lua_Integer> fields[] = {
        {"year", local.year}, {"month", local.month}, {"day", local.day},   {"hour", local.hour},
        {"min", local.min},   {"sec", local.sec},     {"wday", local.wday}, {"yday", local.yday},
        {"offset", local.offset}};
    for (const auto& [name, value] : fields) {
        lua_pushinteger(L, value);
        lua_setfield(L, -2, name);
    }
    lua_pushboolean(L, local.isdst);
    lua_setfield(L, -2, "isdst");
    lua_pushlstring(L, zoneName, length);
    lua_setfield(L, -2, "zone");
    return 1;
}

// ---- counters ----

struct CounterHandle
{
    char name[65];
    std::size_t nameLength;
    char key[LuaPolicyFunctions::maxCounterKeyBytes + 1];
    std::size_t keyLength;
};

CounterHandle& checkCounter(lua_State* L, const char* method)
{
    auto* handle = static_cast<CounterHandle*>(luaL_testudata(L, 1, counterType));
    if (!handle)
        luaL_error(L, "policy.counter: call %s with a colon on a counter (c:%s(...))", method, method);
    return *handle;
}

int policyCounter(lua_State* L)
{
    const char* function = "policy.counter";
    std::size_t nameLength = 0;
    if (lua_type(L, 1) != LUA_TSTRING)
        return luaL_error(L, "%s: name must be a string (got %s)", function, typeName(L, 1));
    const char* name = lua_tolstring(L, 1, &nameLength);
    if (!isName(name, nameLength, 64))
        return luaL_error(L, "%s: name must be 1..64 characters of a-z, 0-9, _, . and - (got '%s')",
                          function, name);
    std::size_t keyLength = 0;
    const char* key = checkText(L, 2, function, "key", LuaPolicyFunctions::maxCounterKeyBytes, keyLength);
    effectsFor(L, function);
    auto* handle = static_cast<CounterHandle*>(lua_newuserdatauv(L, sizeof(CounterHandle), 0));
    std::memcpy(handle->name, name, nameLength);
    handle->name[nameLength] = '\0';
    handle->nameLength = nameLength;
    std::memcpy(handle->key, key, keyLength);
    handle->key[keyLength] = '\0';
    handle->keyLength = keyLength;
    luaL_setmetatable(L, counterType);
    return 1;
}

int counterIncr(lua_State* L)
{
    const char* function = "policy.counter";
    const CounterHandle& handle = checkCounter(L, "incr");
    const lua_Integer by =
        lua_isnoneornil(L, 2) ? 1 : checkInteger(L, 2, function, "incr's n", -1000000000, 1000000000);
    if (lua_isnoneornil(L, 3))
        return luaL_error(L, "%s: incr needs a ttl in seconds (c:incr(n, ttl_seconds)), 1..%I", function,
                          static_cast<lua_Integer>(LuaPolicyFunctions::maxTtlSeconds));
    const lua_Integer ttl =
        checkInteger(L, 3, function, "ttl", 1, LuaPolicyFunctions::maxTtlSeconds);
    PolicyEffects& effects = effectsFor(L, function);
    std::int64_t value = 0;
    ErrorText error;
    if (!guarded(error, function, [&] {
            value = effects.counterIncrement(std::string(handle.name, handle.nameLength),
                                             std::string(handle.key, handle.keyLength), by, ttl);
        }))
        return raise(L, error);
    lua_pushinteger(L, value);
    return 1;
}

int counterGet(lua_State* L)
{
    const char* function = "policy.counter";
    const CounterHandle& handle = checkCounter(L, "get");
    PolicyEffects& effects = effectsFor(L, function);
    std::int64_t value = 0;
    ErrorText error;
    if (!guarded(error, function, [&] {
            value = effects.counterGet(std::string(handle.name, handle.nameLength),
                                       std::string(handle.key, handle.keyLength));
        }))
        return raise(L, error);
    lua_pushinteger(L, value);
    return 1;
}

int counterReset(lua_State* L)
{
    const char* function = "policy.counter";
    const CounterHandle& handle = checkCounter(L, "reset");
    PolicyEffects& effects = effectsFor(L, function);
    ErrorText error;
    if (!guarded(error, function, [&] {
            effects.counterReset(std::string(handle.name, handle.nameLength),
                                 std::string(handle.key, handle.keyLength));
        }))
        return raise(L, error);
    return 0;
}

int counterToString(lua_State* L)
{
    const CounterHandle& handle = checkCounter(L, "tostring");
    lua_pushfstring(L, "policy.counter(%s, %s)", handle.name, handle.key);
    return 1;
}

// ---- kv ----

struct KvAddress
{
    const char* user;
    std::size_t userLength;
    const char* key;
    std::size_t keyLength;
};

KvAddress checkKvAddress(lua_State* L, const char* function)
{
    KvAddress address{};
    address.user = checkText(L, 1, function, "user", LuaPolicyFunctions::maxKvNameBytes, address.userLength);
    address.key = checkText(L, 2, function, "key", LuaPolicyFunctions::maxKvNameBytes, address.keyLength);
    return address;
}

int kvGet(lua_State* L)
{
    const char* function = "policy.kv.get";
    const KvAddress address = checkKvAddress(L, function);
    PolicyEffects& effects = effectsFor(L, function);
    PolicyCallContext& context = contextOf(L);
    bool found = false;
    ErrorText error;
    if (!guarded(error, function, [&] {
            const auto json = effects.kvGet(std::string(address.user, address.userLength),
                                            std::string(address.key, address.keyLength));
            found = json.has_value();
            context.resultValue = found ? parseJsonValue(*json) : Poco::Dynamic::Var();
        }))
        return raise(L, error);
    if (!found) {
        lua_pushnil(L);
        return 1;
    }
    if (!pushResult(L, context, error, function))
        return raise(L, error);
    return 1;
}

int kvSet(lua_State* L)
{
    const char* function = "policy.kv.set";
    const KvAddress address = checkKvAddress(L, function);
    if (lua_isnoneornil(L, 3))
        return luaL_error(L, "%s: value must not be nil (use policy.kv.delete to remove a key)", function);
    const int type = lua_type(L, 3);
    if (type != LUA_TSTRING && type != LUA_TNUMBER && type != LUA_TBOOLEAN && type != LUA_TTABLE)
        return luaL_error(L, "%s: value must be a string, number, boolean or table (got %s)", function,
                          typeName(L, 3));
    PolicyEffects& effects = effectsFor(L, function);
    ErrorText error;
    if (!guarded(error, function, [&] {
            std::string json;
            try {
                json = toJson(LuaValueBridge::toVar(L, 3));
            } catch (const std::exception& e) {
                throw PolicyEffectError(std::string("policy.kv.set: the value cannot be stored as JSON: ") +
                                        e.what());
            }
            effects.kvSet(std::string(address.user, address.userLength),
                          std::string(address.key, address.keyLength), json);
        }))
        return raise(L, error);
    return 0;
}

int kvDelete(lua_State* L)
{
    const char* function = "policy.kv.delete";
    const KvAddress address = checkKvAddress(L, function);
    PolicyEffects& effects = effectsFor(L, function);
    ErrorText error;
    if (!guarded(error, function, [&] {
            effects.kvDelete(std::string(address.user, address.userLength),
                             std::string(address.key, address.keyLength));
        }))
        return raise(L, error);
    return 0;
}

// ---- notify ----

// A table of fields (or nil) as a JSON object text; an empty table is an empty object.
std::string fieldsObject(lua_State* L, int index, const char* function)
{
    if (lua_isnoneornil(L, index))
        return "{}";
    const Poco::Dynamic::Var value = LuaValueBridge::toVar(L, index);
    if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
        if (value.extract<Poco::JSON::Array::Ptr>()->size() == 0)
            return "{}";
        throw PolicyEffectError(std::string(function) + ": fields must be a table with string keys, not a list");
    }
    return toJson(value);
}

int policyNotify(lua_State* L)
{
    const char* function = "policy.notify";
    std::size_t channelLength = 0;
    if (lua_type(L, 1) != LUA_TSTRING)
        return luaL_error(L, "%s: channel must be a string (got %s)", function, typeName(L, 1));
    const char* channel = lua_tolstring(L, 1, &channelLength);
    if (!isName(channel, channelLength, 64) || std::memchr(channel, '.', channelLength))
        return luaL_error(L, "%s: channel must be 1..64 characters of a-z, 0-9, _ and - (got '%s')", function,
                          channel);
    std::size_t messageLength = 0;
    const char* message = checkText(L, 2, function, "message", LuaPolicyFunctions::maxMessageBytes, messageLength);
    if (!lua_isnoneornil(L, 3) && lua_type(L, 3) != LUA_TTABLE)
        return luaL_error(L, "%s: fields must be a table or nil (got %s)", function, typeName(L, 3));
    PolicyEffects& effects = effectsFor(L, function);
    ErrorText error;
    if (!guarded(error, function, [&] {
            std::string fields;
            try {
                fields = fieldsObject(L, 3, function);
            } catch (const std::invalid_argument& e) {
                throw PolicyEffectError(std::string(function) + ": fields cannot be sent as JSON: " + e.what());
            }
            effects.notify(std::string(channel, channelLength), std::string(message, messageLength), fields);
        }))
        return raise(L, error);
    return 0;
}

// ---- http ----

bool isTokenChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool isHeaderValue(const char* text, std::size_t length)
{
    for (std::size_t i = 0; i < length; ++i) {
        if (text[i] == '\r' || text[i] == '\n' || text[i] == '\0')
            return false;
    }
    return true;
}

// Leaves the field's value on the stack and returns its type.
int rawField(lua_State* L, int table, const char* name)
{
    lua_pushstring(L, name);
    return lua_rawget(L, table);
}

int policyHttp(lua_State* L)
{
    const char* function = "policy.http";
    if (lua_type(L, 1) != LUA_TTABLE)
        return luaL_error(L, "%s: takes one table {url=, method=, headers=, body= or json=} (got %s)", function,
                          typeName(L, 1));
    lua_settop(L, 1);
    eventEffectsFor(L, function);

    if (rawField(L, 1, "url") != LUA_TSTRING) // 2
        return luaL_error(L, "%s: url must be a string (got %s)", function, typeName(L, 2));
    std::size_t urlLength = 0;
    const char* url = lua_tolstring(L, 2, &urlLength);
    if (urlLength > 4096 || !isHeaderValue(url, urlLength))
        return luaL_error(L, "%s: url must be at most 4096 bytes without control characters", function);

    const int bodyType = rawField(L, 1, "body"); // 3
    const int jsonType = rawField(L, 1, "json"); // 4
    if (bodyType != LUA_TNIL && bodyType != LUA_TSTRING)
        return luaL_error(L, "%s: body must be a string (got %s)", function, typeName(L, 3));
    if (bodyType != LUA_TNIL && jsonType != LUA_TNIL)
        return luaL_error(L, "%s: give either body or json, not both", function);

    const int methodType = rawField(L, 1, "method"); // 5
    const char* method = bodyType != LUA_TNIL || jsonType != LUA_TNIL ? "POST" : "GET";
    if (methodType != LUA_TNIL) {
        static const char* const allowed[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
        const char* given = methodType == LUA_TSTRING ? lua_tostring(L, 5) : "";
        method = nullptr;
        for (const char* candidate : allowed) {
            if (std::strcmp(candidate, given) == 0)
                method = candidate;
        }
        if (!method)
            return luaL_error(L, "%s: method must be one of GET, HEAD, POST, PUT, PATCH, DELETE", function);
    }

    const int headersType = rawField(L, 1, "headers"); // 6
    if (headersType != LUA_TNIL) {
        if (headersType != LUA_TTABLE)
            return luaL_error(L, "%s: headers must be a table of name = value strings (got %s)", function,
                              typeName(L, 6));
        int count = 0;
        lua_pushnil(L);
        while (lua_next(L, 6) != 0) {
            std::size_t nameLength = 0;
            std::size_t valueLength = 0;
            bool valid = lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING;
            if (valid) {
                const char* name = lua_tolstring(L, -2, &nameLength);
                const char* value = lua_tolstring(L, -1, &valueLength);
                valid = nameLength > 0 && nameLength <= 128 && valueLength <= 8192 &&
                        isHeaderValue(value, valueLength);
                for (std::size_t i = 0; valid && i < nameLength; ++i)
                    valid = isTokenChar(name[i]);
            }
            if (!valid || ++count > 32)
                return luaL_error(L,
                                  "%s: headers must be at most 32 name = value strings (names of token "
                                  "characters, values without line breaks)",
                                  function);
            lua_pop(L, 1);
        }
    }

    PolicyEffects& effects = eventEffectsFor(L, function);
    PolicyCallContext& context = contextOf(L);
    bool hasJson = false;
    ErrorText error;
    if (!guarded(error, function, [&] {
            PolicyEffects::HttpCall call;
            call.url.assign(url, urlLength);
            call.method = method;
            if (headersType == LUA_TTABLE) {
                lua_pushnil(L);
                while (lua_next(L, 6) != 0) {
                    call.headers[lua_tostring(L, -2)] = lua_tostring(L, -1);
                    lua_pop(L, 1);
                }
            }
            if (bodyType == LUA_TSTRING) {
                std::size_t length = 0;
                const char* body = lua_tolstring(L, 3, &length);
                call.body.assign(body, length);
            } else if (jsonType != LUA_TNIL) {
                try {
                    call.body = toJson(LuaValueBridge::toVar(L, 4));
                } catch (const std::invalid_argument& e) {
                    throw PolicyEffectError(std::string("policy.http: json cannot be encoded: ") + e.what());
                }
                bool typed = false;
                for (const auto& [name, value] : call.headers)
                    typed = typed || Poco::icompare(name, "Content-Type") == 0;
                if (!typed)
                    call.headers["Content-Type"] = "application/json";
            }
            context.resultAnswer = effects.http(call);
            context.resultValue.clear();
            if (context.resultAnswer.contentType.find("json") != std::string::npos) {
                try {
                    context.resultValue = Poco::JSON::Parser().parse(context.resultAnswer.body);
                    hasJson = true;
                } catch (const std::exception&) {
                    // Not JSON after all: the script still has body.
                }
            }
        }))
        return raise(L, error);

    lua_createtable(L, 0, 3);
    lua_pushinteger(L, context.resultAnswer.status);
    lua_setfield(L, -2, "status");
    lua_pushlstring(L, context.resultAnswer.body.data(), context.resultAnswer.body.size());
    lua_setfield(L, -2, "body");
    if (hasJson) {
        if (!pushResult(L, context, error, function))
            return raise(L, error);
        lua_setfield(L, -2, "json");
    }
    context.resultAnswer.body.clear();
    return 1;
}

// ---- tag ----

int policyTag(lua_State* L)
{
    const char* function = "policy.tag";
    if (lua_type(L, 1) != LUA_TTABLE)
        return luaL_error(L, "%s: the first argument must be the file {filename=, subfolder=, type=} (got %s)",
                          function, typeName(L, 1));
    if (lua_type(L, 2) != LUA_TTABLE)
        return luaL_error(L, "%s: the second argument must be a list of tags such as {'nsfw'} (got %s)", function,
                          typeName(L, 2));
    lua_settop(L, 2);
    eventEffectsFor(L, function);

    if (rawField(L, 1, "filename") != LUA_TSTRING || lua_rawlen(L, 3) == 0 || lua_rawlen(L, 3) > 255)
        return luaL_error(L, "%s: file.filename must be a string of 1..255 bytes", function);
    const int subfolderType = rawField(L, 1, "subfolder"); // 4
    if (subfolderType != LUA_TNIL && (subfolderType != LUA_TSTRING || lua_rawlen(L, 4) > 1024))
        return luaL_error(L, "%s: file.subfolder must be a string of at most 1024 bytes", function);
    const int typeType = rawField(L, 1, "type"); // 5
    if (typeType != LUA_TNIL && typeType != LUA_TSTRING)
        return luaL_error(L, "%s: file.type must be 'output', 'input' or 'temp'", function);

    const auto count = static_cast<lua_Integer>(lua_rawlen(L, 2));
    if (count == 0 || count > 32)
        return luaL_error(L, "%s: give 1..32 tags", function);
    for (lua_Integer i = 1; i <= count; ++i) {
        std::size_t length = 0;
        const bool isString = lua_rawgeti(L, 2, i) == LUA_TSTRING;
        const char* tag = isString ? lua_tolstring(L, -1, &length) : "";
        if (!isName(tag, length, 64, true))
            return luaL_error(L, "%s: tag %I must be 1..64 characters of letters, digits, _, . and -", function, i);
        lua_pop(L, 1);
    }

    PolicyEffects& effects = eventEffectsFor(L, function);
    ErrorText error;
    if (!guarded(error, function, [&] {
            std::vector<std::string> tags;
            for (lua_Integer i = 1; i <= count; ++i) {
                lua_rawgeti(L, 2, i);
                tags.emplace_back(lua_tostring(L, -1));
                lua_pop(L, 1);
            }
            effects.tag(lua_tostring(L, 3), subfolderType == LUA_TSTRING ? lua_tostring(L, 4) : "",
                        typeType == LUA_TSTRING ? lua_tostring(L, 5) : "output", tags);
        }))
        return raise(L, error);
    return 0;
}

} // namespace

void LuaPolicyFunctions::install(lua_State* L, PolicyCallContext* context)
{
    lua_pushlightuserdata(L, context);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &contextKey);

    luaL_newmetatable(L, counterType);
    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, &counterIncr);
    lua_setfield(L, -2, "incr");
    lua_pushcfunction(L, &counterGet);
    lua_setfield(L, -2, "get");
    lua_pushcfunction(L, &counterReset);
    lua_setfield(L, -2, "reset");
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, &counterToString);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "policy.counter");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}

void LuaPolicyFunctions::addTo(lua_State* L, int policyTable)
{
    policyTable = lua_absindex(L, policyTable);
    const std::pair<const char*, lua_CFunction> functions[] = {
        {"now", &policyNow},       {"localtime", &policyLocaltime}, {"counter", &policyCounter},
        {"notify", &policyNotify}, {"http", &policyHttp},           {"tag", &policyTag}};
    for (const auto& [name, function] : functions) {
        lua_pushcfunction(L, function);
        lua_setfield(L, policyTable, name);
    }
    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, &kvGet);
    lua_setfield(L, -2, "get");
    lua_pushcfunction(L, &kvSet);
    lua_setfield(L, -2, "set");
    lua_pushcfunction(L, &kvDelete);
    lua_setfield(L, -2, "delete");
    lua_setfield(L, policyTable, "kv");
}

} // namespace comfygate
