#pragma once

#include "HttpConnectionStats.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace comfygate {

class HttpConnection;

/// The worker threads (http.threads at most, started as work arrives) and the queue of
/// connections that have a request to read and wait for one of them. The queue is not
/// bounded here: the acceptor bounds all open connections (http.max_connections).
/// `serveTurn` runs on a worker for each connection taken from the queue.
class HttpWorkerPool
{
public:
    using Handler = std::function<void(std::shared_ptr<HttpConnection>)>;

    HttpWorkerPool(int maxThreads, HttpConnectionStats& stats, Handler serveTurn);
    ~HttpWorkerPool();

    void submit(std::shared_ptr<HttpConnection> connection);
    /// A descriptor that is readable while stats.starved > 0, so a worker waiting on its own
    /// connection for the next request (HttpConnection) wakes when another one needs it.
    int starvedSignal() const { return _starvedSignal; }
    std::size_t queued() const;
    /// Closes the queued connections, lets the workers finish their turns and joins them.
    void stop();

private:
    void work();
    /// Publishes stats.starved; the caller holds the lock.
    void countStarvedLocked();

    const std::size_t _maxThreads;
    const int _starvedSignal; ///< eventfd
    HttpConnectionStats& _stats;
    Handler _serveTurn;
    mutable std::mutex _mutex;
    std::condition_variable _workArrived;
    std::deque<std::shared_ptr<HttpConnection>> _queue;
    std::vector<std::thread> _threads;
    std::size_t _idleThreads = 0;
    bool _stopping = false;
};

} // namespace comfygate
