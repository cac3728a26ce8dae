#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace comfygate::comfyproxy {

/// A few threads that run short tasks in order of submission: reading one WebSocket's ready
/// frames or flushing one client's queue. Separate from the kernel's scheduler so that long
/// background jobs can never hold up event delivery. Tasks must not throw.
class WorkerPool
{
public:
    explicit WorkerPool(std::size_t threads);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// Ignored after stop().
    void submit(std::function<void()> task);
    /// Ahead of every queued task: reading the upstream socket must not wait behind the
    /// writes of a broadcast to thousands of clients.
    void submitFirst(std::function<void()> task);
    /// Waits until no task is queued or running, at most `timeout`; false on timeout.
    bool drain(std::chrono::milliseconds timeout);
    /// Finishes the running tasks, drops the queued ones and joins the threads; idempotent.
    void stop();

private:
    void enqueue(std::function<void()> task, bool first);
    void run();

    std::mutex _mutex;
    std::condition_variable _ready;
    std::condition_variable _idle;
    std::deque<std::function<void()>> _tasks;
    std::size_t _busy = 0;
    bool _stopping = false;
    std::vector<std::thread> _threads;
};

} // namespace comfygate::comfyproxy
