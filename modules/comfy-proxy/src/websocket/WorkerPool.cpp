#include "WorkerPool.h"

#include <chrono>

namespace comfygate::comfyproxy {

WorkerPool::WorkerPool(std::size_t threads)
{
    for (std::size_t i = 0; i < (threads == 0 ? 1 : threads); ++i)
        _threads.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool()
{
    stop();
}

void WorkerPool::submit(std::function<void()> task)
{
    enqueue(std::move(task), false);
}

void WorkerPool::submitFirst(std::function<void()> task)
{
    enqueue(std::move(task), true);
}

void WorkerPool::enqueue(std::function<void()> task, bool first)
{
    {
        std::lock_guard lock(_mutex);
        if (_stopping)
            return;
        if (first)
            _tasks.push_front(std::move(task));
        else
            _tasks.push_back(std::move(task));
    }
    _ready.notify_one();
}

bool WorkerPool::drain(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(_mutex);
    return _idle.wait_for(lock, timeout, [this] { return _tasks.empty() && _busy == 0; });
}

void WorkerPool::stop()
{
    {
        std::lock_guard lock(_mutex);
        if (_stopping && _threads.empty())
            return;
        _stopping = true;
        _tasks.clear();
    }
    _ready.notify_all();
    for (auto& thread : _threads)
        if (thread.joinable())
            thread.join();
    _threads.clear();
}

void WorkerPool::run()
{
    while (true) {
        std::function<void()> task;
        {
            std::unique_lock lock(_mutex);
            _ready.wait(lock, [this] { return _stopping || !_tasks.empty(); });
            if (_stopping)
                return;
            task = std::move(_tasks.front());
            _tasks.pop_front();
            ++_busy;
        }
        try {
            task();
        } catch (...) {
            // Tasks handle their own errors; one that slips through must not end the thread.
        }
        {
            std::lock_guard lock(_mutex);
            --_busy;
        }
        _idle.notify_all();
    }
}

} // namespace comfygate::comfyproxy
