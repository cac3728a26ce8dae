#pragma once

#include "SimulatedPolicyEffects.h"

#include <Poco/Dynamic/Var.h>

#include <string>

struct lua_State;

namespace comfygate {

/// The `policy.test` table of a policy test file: set_time, advance, notifications, tags,
/// stub_http, http_calls and reset, on the SimulatedPolicyEffects of that file's run
/// (reference: scripts/policy/README.md, "Testing policies"). Must outlive the run.
class PolicyTestLibrary
{
public:
    explicit PolicyTestLibrary(SimulatedPolicyEffects& effects) : _effects(effects) {}

    /// Pushes a fresh table of the functions.
    void push(lua_State* L);

private:
    static PolicyTestLibrary& of(lua_State* L);
    static int setTime(lua_State* L);
    static int advance(lua_State* L);
    static int notifications(lua_State* L);
    static int tags(lua_State* L);
    static int stubHttp(lua_State* L);
    static int httpCalls(lua_State* L);
    static int reset(lua_State* L);

    /// Pushes `_result` (built by a function) and forgets it, or raises `_problem`.
    int pushResult(lua_State* L);
    /// Pushes one part of SimulatedPolicyEffects::recordJson().
    int pushRecorded(lua_State* L, const char* part);

    SimulatedPolicyEffects& _effects;
    // Kept here, not on the C stack, while it is pushed: a Lua error raised by an allocation
    // then skips no C++ destructor.
    Poco::Dynamic::Var _result;
    char _problem[512] = {};
};

} // namespace comfygate
