#pragma once

#include "PolicyEffects.h"
#include "PolicyGeneration.h"
#include "PolicyLimits.h"

#include "comfygate/Policy.h"

#include <Poco/Logger.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace comfygate {

/// The Lua policy engine (the kernel's implementation of Policy).
///
/// Scripts are `<scriptsDir>/*.lua`, loaded in sorted name order; `require(name)` reaches
/// `<scriptsDir>/lib/<name>.lua` only. Loading compiles every script into a *generation*
/// (an immutable snapshot of the source texts) in a throwaway lua_State and keeps it only
/// when every script compiled and registered cleanly; otherwise the previous generation stays
/// active and the errors ("file:line: message") are reported. See LuaSandbox for what
/// scripts can reach and how limits apply.
///
/// Calls never share a lua_State between threads and take no lock on the hot path: each
/// calling thread lazily builds its own state from the active generation (and rebuilds it
/// when a newer generation becomes active or when a call exhausted its memory). A thread's
/// states are destroyed when the thread exits; a state of a generation that is no longer
/// active (or of a destroyed engine) is released the next time that thread has to build a
/// state. Handlers may keep values in upvalues, but only per thread and only until the next
/// rebuild: scripts must not rely on state between calls.
///
/// Hooks are declared (declareHook) before load(); `policy.on` with an undeclared name is a
/// load error. A hook declared after a load is callable at once (with no handlers: allow)
/// and scripts can register for it from the next reload on.
///
/// No thread is started here: the kernel calls reload() on SIGHUP and from the admin route,
/// and reloadIfChanged() from a timer.
class PolicyEngine : public Policy
{
public:
    /// What load(), reload(), check() and reloadIfChanged() did.
    struct Report
    {
        bool changed = true;             ///< false: reloadIfChanged() found nothing new
        bool swapped = false;            ///< a new generation became active
        std::uint64_t generation = 0;    ///< the generation active afterwards
        std::vector<std::string> errors; ///< "file:line: message"; empty when all compiled
        std::map<std::string, std::size_t> handlers; ///< per hook, in the compiled scripts

        bool ok() const { return errors.empty(); }
    };

    /// `settings` become the read-only table `policy.settings` (config keys
    /// `policy.settings.*` without the prefix); `effects` serve counters, kv, notify, http,
    /// tag and the clock for every thread's state. Nothing is read before load().
    PolicyEngine(std::string scriptsDir, PolicyLimits limits = {},
                 std::map<std::string, std::string> settings = {},
                 std::shared_ptr<PolicyEffects> effects = nullptr);
    ~PolicyEngine() override = default;
    PolicyEngine(const PolicyEngine&) = delete;
    PolicyEngine& operator=(const PolicyEngine&) = delete;

    /// Declares a hook. Redeclaring with the same fail mode only adds the examples the new
    /// spec has (the kernel declares the shipped hooks, the calling module knows the shapes); throws
    /// std::invalid_argument for an invalid name (not [a-z0-9_.-]{1,64}) or a different mode.
    void declareHook(const HookSpec& spec) override;

    /// Runs the hook's handlers on this thread's state. Script errors and exceeded limits
    /// set Verdict::failed and apply the hook's fail mode (Closed: Deny with reason "policy
    /// error"; Open: Allow). Throws std::logic_error for an undeclared hook and
    /// std::invalid_argument when `subject` or `request` holds a type Lua cannot receive.
    Verdict call(const std::string& hook, const Poco::Dynamic::Var& subject,
                 const Poco::Dynamic::Var& request) override;

    /// Queues the `event` hook (see Policy::raise) through the runner set with
    /// setEventRunner(); without a runner (CLI commands) events are dropped.
    void raise(const std::string& event, const Poco::Dynamic::Var& subject,
               const Poco::Dynamic::Var& fields) override;

    /// Runs a background task; returns false when it cannot be queued (the event is dropped).
    using EventRunner = std::function<bool(std::function<void()>)>;
    void setEventRunner(EventRunner runner);
    /// Events dropped because the runner's queue was full, since start.
    std::uint64_t eventsDropped() const { return _eventsDropped.load(std::memory_order_relaxed); }

    /// The first load: like reload(), but throws Poco::RuntimeException listing every error
    /// (one "file:line: message" per line) when a script fails.
    void load();

    /// Compiles a new generation from the files; swaps it in when it is clean, else keeps
    /// the active one. Logs the outcome to the "policy" logger.
    Report reload();

    /// Compiles the files into a throwaway generation and reports, without swapping
    /// (`comfygate policy check`).
    Report check() const;

    /// reload() when the files' names, sizes or modification times differ from those last
    /// seen (and the contents differ from the active generation); else changed = false.
    /// A broken edit is reported once, not on every tick.
    Report reloadIfChanged();

    /// The active generation; 0 before the first successful load.
    std::uint64_t generation() const { return _generationId.load(std::memory_order_acquire); }

    std::vector<HookSpec> hooks() const;
    const std::string& scriptsDirectory() const { return _scriptsDir; }
    const PolicyLimits& limits() const { return _limits; }
    const std::map<std::string, std::string>& settings() const { return _settings; }
    /// The effects the server's states use (null in CLI commands and unit tests).
    const std::shared_ptr<PolicyEffects>& effects() const { return _effects; }

    /// The active generation (the empty one before the first successful load).
    std::shared_ptr<const PolicyGeneration> activeGeneration() const;

    /// The outcome of the last reload (load, reload or a changed file), for the console.
    struct ReloadRecord
    {
        std::int64_t at = 0;             ///< UTC seconds; 0 before the first reload
        bool swapped = false;
        std::vector<std::string> errors; ///< empty when the reload swapped
        std::map<std::string, std::size_t> activeHandlers; ///< of the active generation
    };
    ReloadRecord lastReload() const;

private:
    struct ThreadState;
    using ThreadStates = std::unordered_map<std::uint64_t, std::unique_ptr<ThreadState>>;

    static ThreadStates& threadStates();
    ThreadState& threadState();
    void refresh(ThreadState& state);
    void applyFailMode(Verdict& verdict, FailMode mode, const std::string& hook);
    std::shared_ptr<const PolicyGeneration> compile(std::uint64_t id, Report& report) const;
    Report reloadLocked();

    const std::uint64_t _id;
    const std::string _scriptsDir;
    const PolicyLimits _limits;
    const std::map<std::string, std::string> _settings;
    const std::shared_ptr<PolicyEffects> _effects;
    Poco::Logger& _logger;

    mutable std::mutex _stateMutex; // guards _generation and _hooks (short sections only)
    std::shared_ptr<const PolicyGeneration> _generation;
    std::map<std::string, HookSpec> _hooks;
    std::atomic<std::uint64_t> _generationId{0};
    std::atomic<std::uint64_t> _hooksVersion{0};
    ReloadRecord _lastReload; // guarded by _stateMutex

    EventRunner _eventRunner;
    std::atomic<std::uint64_t> _eventsDropped{0};

    std::mutex _reloadMutex; // one reload at a time; guards _lastSeenStamps
    PolicyGeneration::Stamps _lastSeenStamps;
};

} // namespace comfygate
