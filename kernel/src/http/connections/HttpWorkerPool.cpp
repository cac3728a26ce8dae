#include "HttpWorkerPool.h"

#include "HttpConnection.h"

#include <algorithm>
#include <cstdint>
#include <pthread.h>
#include <stdexcept>
#include <sys/eventfd.h>
#include <unistd.h>

namespace comfygate {

HttpWorkerPool::HttpWorkerPool(int maxThreads, HttpConnectionStats& stats, Handler serveTurn)
    : _maxThreads(static_cast<std::size_t>(std::max(1, maxThreads))),
      _starvedSignal(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), _stats(stats), _serveTurn(std::move(serveTurn))
{
    if (_starvedSignal < 0)
        throw std::runtime_error("cannot create an eventfd for the HTTP workers");
}

HttpWorkerPool::~HttpWorkerPool()
{
    stop();
    ::close(_starvedSignal);
}

void HttpWorkerPool::submit(std::shared_ptr<HttpConnection> connection)
{
    {
        std::lock_guard lock(_mutex);
        if (!_stopping) {
            _queue.push_back(std::move(connection));
            ++_stats.queued;
            // A thread per connection waiting beyond the idle ones, up to the maximum.
            if (_queue.size() > _idleThreads && _threads.size() < _maxThreads) {
                _threads.emplace_back([this] { work(); });
                pthread_setname_np(_threads.back().native_handle(), "http-worker");
                ++_idleThreads; // counted from now on, so the next submit does not start another for this one
            }
            countStarvedLocked();
        }
    }
    if (connection) // not queued: the pool is stopping
        connection->close();
    else
        _workArrived.notify_one();
}

std::size_t HttpWorkerPool::queued() const
{
    std::lock_guard lock(_mutex);
    return _queue.size();
}

void HttpWorkerPool::stop()
{
    std::deque<std::shared_ptr<HttpConnection>> left;
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(_mutex);
        _stopping = true;
        left.swap(_queue);
        _stats.queued -= static_cast<long long>(left.size());
        threads.swap(_threads);
    }
    _workArrived.notify_all();
    for (const auto& connection : left)
        connection->close();
    left.clear();
    for (auto& thread : threads)
        thread.join();
}

void HttpWorkerPool::countStarvedLocked()
{
    const bool full = _threads.size() >= _maxThreads;
    const auto starved = full && _queue.size() > _idleThreads ? _queue.size() - _idleThreads : 0;
    const long long before = _stats.starved.exchange(static_cast<long long>(starved), std::memory_order_relaxed);
    // Only the changes between none and some touch the eventfd: no syscall on the busy path.
    std::uint64_t value = 1;
    if (before == 0 && starved > 0)
        (void)!::write(_starvedSignal, &value, sizeof value);
    else if (before > 0 && starved == 0)
        (void)!::read(_starvedSignal, &value, sizeof value);
}

void HttpWorkerPool::work()
{
    std::unique_lock lock(_mutex); // a new thread was counted idle by submit()
    for (;;) {
        _workArrived.wait(lock, [this] { return _stopping || !_queue.empty(); });
        --_idleThreads;
        if (_stopping)
            return;
        auto connection = std::move(_queue.front());
        _queue.pop_front();
        --_stats.queued;
        countStarvedLocked();
        lock.unlock();
        _serveTurn(std::move(connection));
        lock.lock();
        ++_idleThreads;
        countStarvedLocked();
    }
}

} // namespace comfygate
