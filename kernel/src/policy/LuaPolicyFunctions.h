#pragma once

#include "PolicyEffects.h"

#include <Poco/Dynamic/Var.h>

#include <string>

struct lua_State;

namespace comfygate {

/// What the policy functions need to know about the run they are called from. The sandbox
/// owns one and updates it around every run.
struct PolicyCallContext
{
    /// Serves counters, kv, notify, http, tag and the clock; null where no effects exist
    /// (then those functions are refused and policy.now() reads the system clock).
    PolicyEffects* effects = nullptr;
    /// The hook whose handlers run now; empty while a script's top level runs (load time).
    std::string hook;

    /// The sandbox's memory-cap switch, turned off while a converted result is pushed (see
    /// pushing in LuaPolicyFunctions.cpp); null when there is none.
    bool* memoryCap = nullptr;

    /// Results of an effect kept here (not on the C stack) while they are pushed to Lua, so
    /// that a Lua error raised by an allocation skips no C++ destructor.
    Poco::Dynamic::Var resultValue;
    PolicyEffects::HttpAnswer resultAnswer;
};

/// The Lua bindings of the policy functions that reach beyond the state: policy.now,
/// policy.localtime, policy.counter, policy.kv.{get,set,delete}, policy.notify, policy.http
/// and policy.tag (reference: scripts/policy/README.md, "Lua API").
///
/// They validate every argument and raise a Lua error naming the function on misuse.
/// counter, kv, notify, http and tag work inside handlers only (refused while a script's top
/// level runs, and without effects); http and tag only in the asynchronous `event` hook.
/// Exceptions of the effects (PolicyEffectError, database or network failures) become Lua
/// errors; no C++ exception crosses a Lua frame and no C++ object with a destructor is alive
/// when a Lua error is raised.
class LuaPolicyFunctions
{
public:
    /// Registers the context and the counter metatable in the state (once per state).
    static void install(lua_State* L, PolicyCallContext* context);

    /// Sets the functions (fresh closures and a fresh `kv` table, so that one script's
    /// changes never reach another) into the table at `policyTable`.
    static void addTo(lua_State* L, int policyTable);

    /// Longest counter key and kv key/user in bytes, and the longest notification message.
    static constexpr std::size_t maxCounterKeyBytes = 256;
    static constexpr std::size_t maxKvNameBytes = 256;
    static constexpr std::size_t maxMessageBytes = 8192;
    static constexpr long long maxTtlSeconds = 31536000;
};

} // namespace comfygate
