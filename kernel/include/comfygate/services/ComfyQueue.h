#pragma once

#include <string>

namespace comfygate::services {

/// The caller's view of ComfyUI's one global queue (published by the comfy-proxy module as
/// "comfy.queue"): how many of a user's prompts wait or run, how busy the whole queue is, and
/// cancelling a user's prompts without touching anyone else's. The presets module's SwarmUI
/// routes GetCurrentStatus and InterruptAll are built on it.
class ComfyQueue
{
public:
    static constexpr const char* serviceName = "comfy.queue";

    virtual ~ComfyQueue() = default;

    /// One reading of ComfyUI's /queue. When ComfyUI does not answer, `reachable` is false,
    /// the counts are 0 and `problem` says what went wrong (for an operator-facing message).
    struct Counts
    {
        bool reachable = false;
        std::string problem;
        std::string upstreamUrl; ///< where ComfyUI is expected (comfy.url)
        int userPending = 0;
        int userRunning = 0;
        int totalPending = 0;
        int totalRunning = 0;
    };

    /// Never throws: an unreachable ComfyUI is an answer, not an error.
    virtual Counts countsFor(const std::string& userId) = 0;

    struct Cancelled
    {
        int deleted = 0;          ///< pending prompts removed from the queue
        bool interrupted = false; ///< the running prompt was the user's and was interrupted
    };

    /// Deletes the user's pending prompts and interrupts the running prompt only when it is the
    /// user's. With a non-empty `sessionId`, only prompts submitted under that session (the
    /// Principal::sessionId of the submitting request) count as the user's. Throws
    /// std::runtime_error when ComfyUI cannot be reached.
    virtual Cancelled cancel(const std::string& userId, const std::string& sessionId) = 0;
};

} // namespace comfygate::services
