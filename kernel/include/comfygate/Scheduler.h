#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace comfygate {

/// Timers and a bounded worker pool for background work. Tasks must not throw (a throwing
/// task is logged and dropped). Everything still pending is cancelled when the kernel stops.
class Scheduler
{
public:
    using TimerId = std::uint64_t;
    using Task = std::function<void()>;

    virtual ~Scheduler() = default;

    /// Runs `task` once after `delay`.
    virtual TimerId after(std::chrono::milliseconds delay, Task task) = 0;
    /// Runs `task` every `interval`, first after one interval; runs never overlap.
    virtual TimerId every(std::chrono::milliseconds interval, Task task) = 0;
    virtual void cancel(TimerId id) = 0;

    /// Queues `task` on the worker pool; false when the queue is full.
    virtual bool submit(Task task) = 0;
};

} // namespace comfygate
