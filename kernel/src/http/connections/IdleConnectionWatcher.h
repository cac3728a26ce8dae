#pragma once

#include "HttpConnectionStats.h"

#include <Poco/Net/PollSet.h>
#include <Poco/Net/Socket.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace comfygate {

class HttpConnection;

/// Holds keep-alive connections that wait for their next request, so they hold no worker
/// thread: one thread watches all of them with epoll (Poco::Net::PollSet). A connection that
/// becomes readable goes back to the workers (`onReadable`); one that stays idle past its
/// idle timeout, or whose peer closed or reset it, is closed here.
class IdleConnectionWatcher
{
public:
    using Handler = std::function<void(std::shared_ptr<HttpConnection>)>;

    IdleConnectionWatcher(HttpConnectionStats& stats, Handler onReadable);
    ~IdleConnectionWatcher();

    void start();
    /// Closes every parked connection at once; connections parked afterwards are closed.
    void stop();

    /// Takes the connection until it is readable or idle for its idleTimeout().
    void park(std::shared_ptr<HttpConnection> connection);

private:
    using Clock = std::chrono::steady_clock;
    struct Parked
    {
        std::shared_ptr<HttpConnection> connection;
        std::multimap<Clock::time_point, Poco::Net::Socket>::iterator deadline;
    };

    void run();
    /// Takes a socket out of the set (the caller holds the lock).
    std::shared_ptr<HttpConnection> unparkLocked(const Poco::Net::Socket& socket);
    static bool peerClosed(const Poco::Net::Socket& socket);

    HttpConnectionStats& _stats;
    Handler _onReadable;
    Poco::Net::PollSet _pollSet;
    std::mutex _mutex;
    std::condition_variable _parkedChanged;
    std::map<Poco::Net::Socket, Parked> _parked;
    std::multimap<Clock::time_point, Poco::Net::Socket> _deadlines;
    bool _stopping = false;
    bool _started = false;
    std::thread _thread;
};

} // namespace comfygate
