#pragma once

#include "LuaPolicyFunctions.h"
#include "PolicyEffects.h"
#include "PolicyLimits.h"

#include "comfygate/Policy.h"

#include <Poco/Dynamic/Var.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

struct lua_State;
struct lua_Debug;

namespace comfygate {

/// One lua_State set up as the policy sandbox. Not thread-safe: one thread uses it at a time.
///
/// Scripts see only: the base functions assert, error, ipairs, next, pairs, pcall, xpcall,
/// rawequal, rawget, rawlen, rawset, select, getmetatable, setmetatable (refusing `__gc`),
/// tonumber, tostring, type, print (to the "policy" logger) and _VERSION; copies of the
/// string (without dump), table, math and utf8 libraries; os.time, os.clock, os.date;
/// `require(name)` for `lib/<name>.lua` (name of [a-z0-9_]); and
/// `policy = {on, settings, log}` plus the policy functions of LuaPolicyFunctions (now,
/// localtime, counter, kv, notify, http, tag; served by `effects`). There is no io, debug,
/// package, coroutine, load, loadfile, dofile, collectgarbage or warn.
///
/// Every script and library runs in its own environment table (its _ENV, whose __index is
/// the shared base functions) and is loaded from text only (binary chunks are refused).
/// A script's top level may register handlers with policy.on; handlers are called later by
/// callHook(). Each run (a script's top level, or one callHook()) is limited by the
/// instruction count, the wall-clock deadline and the state's memory cap; pcall/xpcall
/// cannot swallow those errors.
class LuaSandbox
{
public:
    /// Library name ("words") to source text of lib/<name>.lua.
    using Libraries = std::map<std::string, std::string, std::less<>>;

    /// `hookNames` are the hooks policy.on accepts; `settings` become policy.settings;
    /// `effects` serve the policy functions that reach outside the state (counters, kv,
    /// notify, http, tag, the clock); may be null only where no script calls them.
    /// Throws std::runtime_error when the state cannot be created.
    LuaSandbox(const PolicyLimits& limits, const std::map<std::string, std::string>& settings,
               const std::set<std::string>& hookNames, std::shared_ptr<const Libraries> libraries,
               std::shared_ptr<PolicyEffects> effects = nullptr);
    ~LuaSandbox();
    LuaSandbox(const LuaSandbox&) = delete;
    LuaSandbox& operator=(const LuaSandbox&) = delete;

    /// Compiles `source` (text only) and runs its top level in a fresh environment, where it
    /// may call policy.on. `name` names the chunk in messages ("nsfw.lua").
    /// Returns an empty string, or the error as "file:line: message".
    std::string loadScript(const std::string& name, const std::string& source);

    /// Compiles `source` without running it; empty string or "file:line: message".
    std::string compile(const std::string& name, const std::string& source);

    /// Calls every handler registered for `hook`, in registration order, with fresh copies
    /// of `subject` and the current request: nothing/true allows, `false, reason` denies
    /// (first deny wins), a table replaces the request for the following handlers (Modify).
    /// A script error or an exceeded limit returns failed = true with `error` set and
    /// decision Allow: applying the fail mode is the caller's job. Throws
    /// std::invalid_argument when `subject` or `request` holds a type Lua cannot receive.
    Verdict callHook(const std::string& hook, const Poco::Dynamic::Var& subject,
                     const Poco::Dynamic::Var& request);

    /// Number of handlers registered per hook (hooks without handlers are absent).
    std::map<std::string, std::size_t> handlerCounts();

    /// Bytes the state currently holds.
    std::size_t memoryUsed() const { return _memoryUsed; }

    /// True when the last run failed on the memory cap: the state may keep data a script
    /// made reachable, so the owner should discard it.
    bool exhausted() const { return _memoryExhausted; }

    /// Sandboxes alive in the process (to check that per-thread states are released).
    static std::size_t instances();

private:
    enum class Limit
    {
        None,
        Instructions,
        Deadline
    };

    static LuaSandbox& of(lua_State* L);
    static void* allocate(void* self, void* block, std::size_t oldSize, std::size_t newSize);
    static void countHook(lua_State* L, lua_Debug* ar);
    static void pushEnvironment(lua_State* L, bool withRegistration);
    static int runChunk(lua_State* L);
    static int registerHandler(lua_State* L);
    static int requireLibrary(lua_State* L);
    static int printMessage(lua_State* L);
    static int protectedCall(lua_State* L);
    static int protectedCallWithHandler(lua_State* L);
    static int setMetatable(lua_State* L);
    static int refuseWrite(lua_State* L);
    static int iterateSettings(lua_State* L);

    void openLibraries(const std::map<std::string, std::string>& settings,
                       const std::set<std::string>& hookNames);
    void beginRun();
    bool runAborted() const { return _limitHit != Limit::None || _memoryExhausted; }
    std::string failureMessage(int status, const std::string& fallbackLocation);
    std::string functionLocation(int index);

    lua_State* _state = nullptr;
    PolicyLimits _limits;
    std::shared_ptr<const Libraries> _libraries;
    std::shared_ptr<PolicyEffects> _effects;
    int _handlersRef = 0;

    std::size_t _memoryUsed = 0;
    bool _enforceMemoryCap = false;
    bool _memoryExhausted = false;

    int _hookInterval = 1000;
    std::uint64_t _instructions = 0;
    std::chrono::steady_clock::time_point _deadline;
    Limit _limitHit = Limit::None;
    char _limitMessage[320] = {};

    bool _loading = false;

    /// What the policy functions see of the current run (effects, hook); see LuaPolicyFunctions.
    PolicyCallContext _policyContext;
    /// The deadline of the current run: the `event` hook gets PolicyLimits::eventDeadline.
    std::chrono::milliseconds _runDeadline{0};

    // ---- Policy tests and checks (comfygate policy test / policy check) ----
public:
    /// Runs `source` as a policy test file (`tests/<name>_test.lua`) in a fresh environment
    /// that has the normal policy functions plus `policy.call(hook, subject, request)` (the
    /// registered handlers' decision: nothing, `false, reason` or the rewritten request) and
    /// `policy.test`, the table `pushTestLibrary` leaves on the stack (called before the run,
    /// outside any protected call). The whole file is one run under the limits. Returns an
    /// empty string when it ran to its end, else "<name>:<line>: message" with the line of
    /// the test file that was running (a handler's own location follows in the message).
    std::string runTest(const std::string& name, const std::string& source,
                        const std::function<void(lua_State*)>& pushTestLibrary);

    /// policy.call()s made by the last runTest().
    std::size_t testCalls() const { return _testCalls; }

    /// Calls each handler of `hook` on its own with copies of `subject` and `request` and
    /// returns one "file:line: message" per handler that returned something other than
    /// nothing, true, false and a reason, or a table (the location is the handler's). A
    /// handler that fails is reported in `failures` the same way.
    std::vector<std::string> checkHandlerReturns(const std::string& hook,
                                                 const Poco::Dynamic::Var& subject,
                                                 const Poco::Dynamic::Var& request,
                                                 std::vector<std::string>& failures);

private:
    static int callFromTest(lua_State* L);
    static int testMessageHandler(lua_State* L);
    static bool pushThroughBridge(lua_State* L, int index);
    static void pushReturnProblem(lua_State* L, const char* hook, int handler, int result);

    std::string _testChunk;
    std::size_t _testCalls = 0;
};

} // namespace comfygate
