#pragma once

#include "PromptOwners.h"
#include "RunningPrompt.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace comfygate::comfyproxy {

/// Per-user queue lengths for the `status` frames, from one shared, short-lived copy of
/// ComfyUI's /queue. ComfyUI broadcasts `status` to every socket on each queue change, so the
/// gateway sees the same frame once per open socket; one fetch serves them all.
///
/// A copy answers every frame that arrived before it was requested (so the count is never
/// older than the frame, and the running prompt it reports is current). Only one fetch runs at
/// a time; callers wait for it, and all frames that arrived meanwhile share the next one.
class QueueSnapshot
{
public:
    using Clock = std::chrono::steady_clock;
    /// Returns ComfyUI's /queue answer text; throws when ComfyUI cannot be reached.
    using Fetch = std::function<std::string()>;

    QueueSnapshot(Fetch fetch, PromptOwners& owners, RunningPrompt& running);

    /// The running + pending prompts of `userId`, for a status frame that arrived at
    /// `receivedAt`. Falls back to the last good copy (or 0)
    /// when ComfyUI does not answer.
    int remainingFor(const std::string& userId, Clock::time_point receivedAt);

    /// Fetches done since construction, for tests.
    unsigned long fetches() const;

private:
    struct Counts
    {
        Clock::time_point requestedAt;
        std::map<std::string, int> perUser;
        bool ok = false;
    };

    std::shared_ptr<const Counts> load(Clock::time_point requestedAt);

    Fetch _fetch;
    PromptOwners& _owners;
    RunningPrompt& _running;

    mutable std::mutex _mutex;
    std::condition_variable _fetched;
    bool _fetching = false;
    std::shared_ptr<const Counts> _latest;     ///< the newest copy, good or not
    std::shared_ptr<const Counts> _latestGood; ///< the newest copy ComfyUI answered
    unsigned long _fetches = 0;
};

} // namespace comfygate::comfyproxy
