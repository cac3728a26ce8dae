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
/// A copy answers a frame when it was requested after the frame arrived, or when it is younger
/// than `maxAge` and counts the same total as the frame. Only one fetch runs at a time; the
/// other callers wait for it.
class QueueSnapshot
{
public:
    using Clock = std::chrono::steady_clock;
    /// Returns ComfyUI's /queue answer text; throws when ComfyUI cannot be reached.
    using Fetch = std::function<std::string()>;

    QueueSnapshot(Fetch fetch, PromptOwners& owners, RunningPrompt& running, std::chrono::milliseconds maxAge);

    /// The running + pending prompts of `userId`, for a status frame that arrived at
    /// `receivedAt` and reported `globalRemaining`. Falls back to the last good copy (or 0)
    /// when ComfyUI does not answer.
    int remainingFor(const std::string& userId, int globalRemaining, Clock::time_point receivedAt);

    /// Fetches done since construction, for tests.
    unsigned long fetches() const;

private:
    struct Counts
    {
        Clock::time_point requestedAt;
        int total = 0;
        std::map<std::string, int> perUser;
        bool ok = false;
    };

    bool answers(const Counts& counts, int globalRemaining, Clock::time_point receivedAt) const;
    std::shared_ptr<const Counts> load(Clock::time_point requestedAt);

    Fetch _fetch;
    PromptOwners& _owners;
    RunningPrompt& _running;
    std::chrono::milliseconds _maxAge;

    mutable std::mutex _mutex;
    std::condition_variable _fetched;
    bool _fetching = false;
    std::shared_ptr<const Counts> _latest;     ///< the newest copy, good or not
    std::shared_ptr<const Counts> _latestGood; ///< the newest copy ComfyUI answered
    unsigned long _fetches = 0;
};

} // namespace comfygate::comfyproxy
