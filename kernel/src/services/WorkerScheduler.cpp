#include "WorkerScheduler.h"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>

namespace comfygate {

namespace {

// Set on the scheduler's own threads: stop() must not join the thread it runs on, and
// cancel() must not wait for the timer whose task is calling it.
thread_local const void* schedulerOfThisThread = nullptr;
thread_local const void* timerRunningOnThisThread = nullptr;

} // namespace

WorkerScheduler::WorkerScheduler(std::size_t workerCount, std::size_t queueCapacity)
    : _workerCount(workerCount), _queueCapacity(queueCapacity),
      _logger(Poco::Logger::get("scheduler"))
{
    if (workerCount == 0)
        throw std::invalid_argument("the scheduler needs at least one worker");
    if (queueCapacity == 0)
        throw std::invalid_argument("the scheduler queue capacity must be at least 1");
}

WorkerScheduler::~WorkerScheduler()
{
    stop();
}

void WorkerScheduler::start()
{
    std::lock_guard<std::mutex> lifecycle(_lifecycleMutex);
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (_state == State::Running)
            return;
        if (_state == State::Stopped)
            throw std::logic_error("a stopped scheduler cannot be started again");
        _state = State::Running;
    }
    try {
        _timerThread = std::thread([this] { runTimers(); });
        _workers.reserve(_workerCount);
        for (std::size_t i = 0; i < _workerCount; ++i)
            _workers.emplace_back([this] { runWorker(); });
    } catch (...) {
        shutDown();
        throw;
    }
}

void WorkerScheduler::stop()
{
    if (schedulerOfThisThread == this)
        throw std::logic_error("the scheduler cannot be stopped from one of its own tasks");
    std::lock_guard<std::mutex> lifecycle(_lifecycleMutex);
    shutDown();
}

void WorkerScheduler::shutDown()
{
    // Destroyed after the threads are joined and without _mutex held: a task's captures may
    // call back into the scheduler from their destructors.
    std::deque<WorkItem> dropped;
    std::unordered_map<TimerId, std::shared_ptr<Timer>> timers;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (_state == State::Stopped)
            return;
        _state = State::Stopped;
        dropped.swap(_queue);
        _queuedSubmissions = 0;
        timers.swap(_timers);
        _due.clear();
        for (auto& [id, timer] : timers)
            timer->cancelled = true;
    }
    _timerWake.notify_all();
    _workAvailable.notify_all();
    _timerIdle.notify_all();

    if (_timerThread.joinable())
        _timerThread.join();
    for (auto& worker : _workers)
        worker.join();
    _workers.clear();

    std::size_t droppedTasks = 0;
    for (const auto& item : dropped)
        droppedTasks += item.timer ? 0 : 1;
    if (droppedTasks > 0)
        _logger.information("Scheduler stopped; %z queued tasks were dropped", droppedTasks);
}

Scheduler::TimerId WorkerScheduler::after(std::chrono::milliseconds delay, Task task)
{
    return schedule(std::max(delay, std::chrono::milliseconds::zero()), Clock::duration::zero(),
                    std::move(task));
}

Scheduler::TimerId WorkerScheduler::every(std::chrono::milliseconds interval, Task task)
{
    if (interval <= std::chrono::milliseconds::zero())
        throw std::invalid_argument("a periodic timer needs a positive interval");
    return schedule(interval, interval, std::move(task));
}

Scheduler::TimerId WorkerScheduler::schedule(Clock::duration delay, Clock::duration interval,
                                             Task task)
{
    if (!task)
        throw std::invalid_argument("the scheduler needs a task to run");
    auto timer = std::make_shared<Timer>();
    timer->interval = interval;
    timer->task = std::move(task);

    std::lock_guard<std::mutex> lock(_mutex);
    if (_state == State::Stopped)
        return 0;
    timer->id = _nextTimerId++;
    timer->due = Clock::now() + delay;
    _timers.emplace(timer->id, timer);
    const bool earliest = _due.empty() || timer->due < _due.begin()->first;
    _due.emplace(timer->due, timer->id);
    if (earliest)
        _timerWake.notify_one();
    return timer->id;
}

void WorkerScheduler::cancel(TimerId id)
{
    std::shared_ptr<Timer> timer;
    std::unique_lock<std::mutex> lock(_mutex);
    const auto found = _timers.find(id);
    if (found == _timers.end())
        return;
    timer = found->second;
    _timers.erase(found);
    timer->cancelled = true;
    _due.erase({timer->due, id});
    if (timerRunningOnThisThread != timer.get())
        _timerIdle.wait(lock, [&] { return !timer->running; });
}

bool WorkerScheduler::submit(Task task)
{
    if (!task)
        throw std::invalid_argument("the scheduler needs a task to run");
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (_state == State::Stopped || _queuedSubmissions >= _queueCapacity)
            return false;
        _queue.push_back(WorkItem{std::move(task), nullptr});
        ++_queuedSubmissions;
    }
    _workAvailable.notify_one();
    return true;
}

std::size_t WorkerScheduler::queuedCount() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return _queuedSubmissions;
}

std::size_t WorkerScheduler::timerCount() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return _timers.size();
}

void WorkerScheduler::runTimers()
{
    std::unique_lock<std::mutex> lock(_mutex);
    while (_state == State::Running) {
        if (_due.empty()) {
            _timerWake.wait(lock);
            continue;
        }
        const auto [due, id] = *_due.begin();
        if (Clock::now() < due) {
            _timerWake.wait_until(lock, due);
            continue;
        }
        _due.erase(_due.begin());
        const auto found = _timers.find(id);
        if (found == _timers.end())
            continue;
        _queue.push_back(WorkItem{nullptr, found->second});
        _workAvailable.notify_one();
    }
}

void WorkerScheduler::runWorker()
{
    schedulerOfThisThread = this;
    for (;;) {
        // Declared outside the locked block so that the task and its captures are destroyed
        // without _mutex held.
        WorkItem item;
        {
            std::unique_lock<std::mutex> lock(_mutex);
            _workAvailable.wait(lock,
                                [this] { return _state != State::Running || !_queue.empty(); });
            if (_state != State::Running)
                return;
            item = std::move(_queue.front());
            _queue.pop_front();
            if (!item.timer)
                --_queuedSubmissions;
            else if (item.timer->cancelled)
                continue;
            else
                item.timer->running = true;
        }

        if (!item.timer) {
            runTask(item.task);
            continue;
        }

        timerRunningOnThisThread = item.timer.get();
        runTask(item.timer->task);
        timerRunningOnThisThread = nullptr;
        {
            std::lock_guard<std::mutex> lock(_mutex);
            Timer& timer = *item.timer;
            timer.running = false;
            if (!timer.cancelled && _state == State::Running &&
                timer.interval > Clock::duration::zero()) {
                timer.due = Clock::now() + timer.interval;
                const bool earliest = _due.empty() || timer.due < _due.begin()->first;
                _due.emplace(timer.due, timer.id);
                if (earliest)
                    _timerWake.notify_one();
            } else if (!timer.cancelled) {
                _timers.erase(timer.id);
            }
        }
        _timerIdle.notify_all();
    }
}

void WorkerScheduler::runTask(const Task& task) noexcept
{
    try {
        task();
    } catch (const std::exception& e) {
        _logger.error("A background task failed and was dropped: %s", std::string(e.what()));
    } catch (...) {
        _logger.error("A background task failed with an unknown exception and was dropped");
    }
}

} // namespace comfygate
