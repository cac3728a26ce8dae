#pragma once

#include "comfygate/Scheduler.h"

#include <Poco/Logger.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace comfygate {

/// The kernel's Scheduler: one timer thread and a fixed pool of worker threads.
///
/// The timer thread only hands due timers to the workers, so a slow timer task never delays
/// another timer (it only occupies a worker). A periodic timer is re-armed when its run
/// finishes (next run = end of the previous one + interval), so its runs never overlap.
/// Timer runs are not counted against the queue capacity: each timer has at most one run
/// queued or running. Tasks that throw are logged on the "scheduler" logger and dropped.
///
/// Nothing runs before start(). after(), every() and submit() may be called before start()
/// (the work waits for it) and from any thread, including from tasks.
class WorkerScheduler : public Scheduler
{
public:
    /// @throw std::invalid_argument when either count is zero.
    WorkerScheduler(std::size_t workerCount, std::size_t queueCapacity);
    /// Calls stop().
    ~WorkerScheduler() override;

    WorkerScheduler(const WorkerScheduler&) = delete;
    WorkerScheduler& operator=(const WorkerScheduler&) = delete;

    /// Starts the timer thread and the workers; a second call does nothing.
    /// @throw std::logic_error after stop().
    void start();

    /// Cancels every timer, drops queued tasks, lets running tasks finish and joins all
    /// threads. Idempotent. Call it from the thread that called start(), never from a task
    /// (that throws std::logic_error).
    void stop();

    /// @return 0 (and the task never runs) when the scheduler is stopped.
    TimerId after(std::chrono::milliseconds delay, Task task) override;
    /// @return 0 (and the task never runs) when the scheduler is stopped.
    /// @throw std::invalid_argument for an interval that is not positive.
    TimerId every(std::chrono::milliseconds interval, Task task) override;

    /// Prevents any further run of the timer. When a run is in progress on another thread,
    /// waits until it has finished, so the caller may then release what the task uses; from
    /// inside the timer's own task it returns at once. Do not cancel from a task a timer
    /// whose task may itself be waiting on the caller. Unknown ids are ignored.
    void cancel(TimerId id) override;

    /// False when the queue already holds `queueCapacity` tasks or the scheduler is stopped.
    bool submit(Task task) override;

    /// Submitted tasks waiting for a worker, for metrics.
    std::size_t queuedCount() const;
    /// Timers neither finished nor cancelled, for metrics.
    std::size_t timerCount() const;

private:
    using Clock = std::chrono::steady_clock;

    struct Timer
    {
        TimerId id = 0;
        Clock::duration interval{}; ///< zero for a one-shot timer
        Task task;
        Clock::time_point due;
        bool running = false;
        bool cancelled = false;
    };

    struct WorkItem
    {
        Task task;                    ///< a submitted task, or
        std::shared_ptr<Timer> timer; ///< a timer's run
    };

    enum class State
    {
        Created,
        Running,
        Stopped
    };

    void shutDown(); ///< stop() with _lifecycleMutex held
    TimerId schedule(Clock::duration delay, Clock::duration interval, Task task);
    void runTimers();
    void runWorker();
    void runTask(const Task& task) noexcept;

    const std::size_t _workerCount;
    const std::size_t _queueCapacity;

    std::mutex _lifecycleMutex; ///< serialises start() and stop(), held while joining
    mutable std::mutex _mutex;  ///< everything below
    std::condition_variable _timerWake;
    std::condition_variable _workAvailable;
    std::condition_variable _timerIdle;
    State _state = State::Created;
    std::unordered_map<TimerId, std::shared_ptr<Timer>> _timers;
    std::set<std::pair<Clock::time_point, TimerId>> _due;
    std::deque<WorkItem> _queue;
    std::size_t _queuedSubmissions = 0;
    TimerId _nextTimerId = 1;

    std::thread _timerThread;
    std::vector<std::thread> _workers;
    Poco::Logger& _logger;
};

} // namespace comfygate
