#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace comfygate::comfyproxy {

/// Which prompt ComfyUI is executing right now, as far as the gateway can tell. Frames without
/// a prompt id (binary TEXT and type-1 previews, custom node events) are attributed to it.
///
/// It learns from the events seen on any upstream socket (execution_start, executing, progress
/// ... start or continue a prompt; execution_success / error / interrupted and
/// `executing {node:null}` end it) and from each /queue snapshot, whichever is newer: a prompt
/// submitted with another socket's client_id sends its execution events only to that socket.
class RunningPrompt
{
public:
    using Clock = std::chrono::steady_clock;

    /// An event of `type` about `promptId`, received at `at`.
    void observe(const std::string& type, const std::string& promptId, bool nodeIsNull, Clock::time_point at);
    /// What /queue said at `fetchedAt` (the request's start): its queue_running item, if any.
    void fromQueue(const std::optional<std::string>& running, Clock::time_point fetchedAt);
    std::optional<std::string> current() const;

    /// A status frame (a queue change) arrived at `at`.
    void queueChanged(Clock::time_point at);
    /// When the queue changed last, if that is newer than what this tracker knows.
    std::optional<Clock::time_point> outdatedSince() const;

private:
    mutable std::mutex _mutex;
    std::optional<std::string> _running;
    Clock::time_point _updated{};
    Clock::time_point _queueChanged{};
};

} // namespace comfygate::comfyproxy
