#pragma once

#include <Poco/Dynamic/Var.h>

#include <string>

namespace comfygate {

/// What happens when a hook errors or runs out of time or memory.
enum class FailMode
{
    Open,  ///< treat as allow (for hooks that only adjust, like `groups`)
    Closed ///< treat as deny (for `view`, `prompt`, `download`)
};

struct HookSpec
{
    std::string name;        ///< e.g. "view"; scripts register with policy.on(name, fn)
    std::string description;
    FailMode failMode = FailMode::Closed;
    /// JSON texts of a typical subject and request, as the module passes them: documentation
    /// for script authors, the defaults of the dry-run route and what `policy check` calls the
    /// handlers with to check what they return. Empty: `{}`.
    std::string subjectExample;
    std::string requestExample;
};

/// The result of a policy hook.
struct Verdict
{
    enum class Decision
    {
        Allow,
        Deny,
        Modify
    };
    Decision decision = Decision::Allow;
    std::string reason;         ///< with Deny: shown to the client
    Poco::Dynamic::Var value;   ///< with Modify: the replacement request
    bool failed = false;        ///< the hook errored or timed out and the fail mode applied
    std::string error;          ///< with failed: file:line and message, for the log

    bool allowed() const { return decision != Decision::Deny; }
};

/// The Lua policy engine as modules see it.
///
/// A script registers handlers when it loads: `policy.on("view", function(subject, request) ... end)`.
/// A handler returns nothing or `true` (allow), `false, "reason"` (deny) or a table (modify:
/// the table replaces the request). Every handler registered for a hook runs in load order;
/// the first deny wins, modifications chain.
class Policy
{
public:
    virtual ~Policy() = default;

    /// Declares a hook (only inside Module::start()).
    virtual void declareHook(const HookSpec& spec) = 0;

    /// Calls every handler of the hook with copies of `subject` and `request`. Never throws
    /// for script errors: those apply the hook's fail mode and set Verdict::failed.
    /// A hook with no handler allows.
    virtual Verdict call(const std::string& hook, const Poco::Dynamic::Var& subject,
                         const Poco::Dynamic::Var& request) = 0;

    /// Reports something that happened (`execution_success`, `download_finished`,
    /// `login_failed`, ...) to the asynchronous `event` hook and returns at once. The handlers
    /// run later on a background worker with `subject` (whom it concerns; may be an empty
    /// object) and `fields` (a JSON object) plus `type = event`; what they return is ignored.
    /// When the background queue is full the event is dropped and counted in /metrics.
    virtual void raise(const std::string& event, const Poco::Dynamic::Var& subject,
                       const Poco::Dynamic::Var& fields) = 0;
};

} // namespace comfygate
