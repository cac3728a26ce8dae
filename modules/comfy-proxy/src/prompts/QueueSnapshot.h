#pragma once

#include "PromptOwners.h"
#include "RunningPrompt.h"

#include <chrono>
#include <condition_variable>
#include <deque>
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
/// A copy answers a frame that arrived before it was requested, and one that arrived later
/// while the copy is younger than `maxAge` and counts the same total as the frame (the same
/// broadcast, seen late on another socket: under load the frames of one broadcast are read
/// over a few hundred milliseconds, interleaved with the next broadcasts, so the last few
/// copies are kept). Only one fetch runs at a time, and at most one every 50 ms: a frame that
/// no copy answers within that time gets the newest count. Each copy also tells RunningPrompt
/// which prompt runs.
class QueueSnapshot
{
public:
    using Clock = std::chrono::steady_clock;
    /// Returns ComfyUI's /queue answer text; throws when ComfyUI cannot be reached.
    using Fetch = std::function<std::string()>;

    QueueSnapshot(Fetch fetch, PromptOwners& owners, RunningPrompt& running, std::chrono::milliseconds maxAge);

    /// The running + pending prompts of `userId`, for a status frame that arrived at
    /// `receivedAt` and reported `globalRemaining` (all users). Falls back to the last good copy (or 0)
    /// when ComfyUI does not answer.
    int remainingFor(const std::string& userId, int globalRemaining, Clock::time_point receivedAt);

    /// Running + pending prompts of everyone and of one user.
    struct Remaining
    {
        int total = 0;
        int user = 0;
    };

    /// The counts now, for GET /prompt: from a copy requested by this call, or one at most
    /// 50 ms old (clients poll this route). Empty when ComfyUI does not answer /queue.
    std::optional<Remaining> remainingNow(const std::string& userId);

    /// Makes sure RunningPrompt has heard from a copy requested after `since` (a queue change).
    /// Frames without a prompt id are rare (TEXT, previews of prompts without client_id,
    /// custom nodes), so this fetch is not rate-limited.
    void refreshRunning(Clock::time_point since);

private:
    struct Counts
    {
        Clock::time_point requestedAt;
        int total = 0;
        std::map<std::string, int> perUser;
        bool ok = false;
    };

    bool answers(const Counts& counts, int globalRemaining, Clock::time_point receivedAt) const;
    /// The newest kept copy that answers the frame, if any.
    std::shared_ptr<const Counts> answering(int globalRemaining, Clock::time_point receivedAt) const;
    std::shared_ptr<const Counts> load(Clock::time_point requestedAt);
    /// Fetches a copy with `lock` released meanwhile; keeps and returns it.
    std::shared_ptr<const Counts> fetch(std::unique_lock<std::mutex>& lock);
    bool fetchedLately() const;
    static int countOf(const Counts& counts, const std::string& userId);

    Fetch _fetch;
    PromptOwners& _owners;
    RunningPrompt& _running;
    std::chrono::milliseconds _maxAge;

    mutable std::mutex _mutex;
    std::condition_variable _fetched;
    bool _fetching = false;
    std::deque<std::shared_ptr<const Counts>> _recent; ///< the last copies, newest first, good or not
    std::shared_ptr<const Counts> _latestGood;         ///< the newest copy ComfyUI answered
};

} // namespace comfygate::comfyproxy
