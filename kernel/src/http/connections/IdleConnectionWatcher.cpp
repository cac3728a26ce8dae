#include "IdleConnectionWatcher.h"

#include "HttpConnection.h"

#include <Poco/Logger.h>
#include <Poco/Net/SocketImpl.h>

#include <cerrno>
#include <pthread.h>
#include <sys/socket.h>
#include <vector>

namespace comfygate {
namespace {

// Poco 1.11's PollSet has no wake-up call: the thread polls in short rounds, so deadlines
// and stop() are noticed within one round. A socket added while it polls is seen at once
// (epoll watches it from epoll_ctl on).
constexpr int roundMilliseconds = 100;

} // namespace

IdleConnectionWatcher::IdleConnectionWatcher(HttpConnectionStats& stats, Handler onReadable)
    : _stats(stats), _onReadable(std::move(onReadable))
{
}

IdleConnectionWatcher::~IdleConnectionWatcher()
{
    stop();
}

void IdleConnectionWatcher::start()
{
    std::lock_guard lock(_mutex);
    if (_started)
        return;
    _started = true;
    _thread = std::thread([this] { run(); });
    pthread_setname_np(_thread.native_handle(), "http-idle");
}

void IdleConnectionWatcher::stop()
{
    {
        std::lock_guard lock(_mutex);
        if (_stopping)
            return;
        _stopping = true;
    }
    _parkedChanged.notify_all();
    if (_thread.joinable())
        _thread.join();
    std::vector<std::shared_ptr<HttpConnection>> parked;
    {
        std::lock_guard lock(_mutex);
        while (!_parked.empty()) {
            const Poco::Net::Socket socket = _parked.begin()->first;
            parked.push_back(unparkLocked(socket));
        }
    }
    for (const auto& connection : parked)
        connection->close();
}

void IdleConnectionWatcher::park(std::shared_ptr<HttpConnection> connection)
{
    {
        std::lock_guard lock(_mutex);
        if (!_stopping) {
            const Poco::Net::Socket socket = connection->socket();
            const auto deadline =
                Clock::now() + std::chrono::microseconds(connection->idleTimeout().totalMicroseconds());
            try {
                // Level-triggered: a byte that arrived before this call is reported at once.
                _pollSet.add(socket, Poco::Net::PollSet::POLL_READ | Poco::Net::PollSet::POLL_ERROR);
                const auto entry = _deadlines.emplace(deadline, socket);
                _parked.emplace(socket, Parked{std::move(connection), entry});
                ++_stats.idle;
            } catch (const Poco::Exception& e) {
                Poco::Logger::get("http").warning("cannot watch an idle connection: %s", e.displayText());
            }
        }
    }
    if (connection) // not taken: stopping, or epoll refused it
        connection->close();
    else
        _parkedChanged.notify_one();
}

std::shared_ptr<HttpConnection> IdleConnectionWatcher::unparkLocked(const Poco::Net::Socket& socket)
{
    const auto found = _parked.find(socket);
    if (found == _parked.end())
        return nullptr;
    auto connection = std::move(found->second.connection);
    _deadlines.erase(found->second.deadline);
    _parked.erase(found);
    --_stats.idle;
    try {
        _pollSet.remove(socket);
    } catch (const Poco::Exception&) {
        // never expected: the socket is open until this class closes it
    }
    return connection;
}

bool IdleConnectionWatcher::peerClosed(const Poco::Net::Socket& socket)
{
    // Readable may mean a request (serve it) or the peer's FIN or reset (just close): a peek at
    // the raw socket tells them apart without taking a worker. For TLS it sees record bytes,
    // which is all that is needed here.
    char byte;
    const ssize_t got = ::recv(socket.impl()->sockfd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (got == 0)
        return true;
    return got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

void IdleConnectionWatcher::run()
{
    for (;;) {
        {
            std::unique_lock lock(_mutex);
            // Poco's PollSet returns at once when it is empty: wait for a connection instead.
            _parkedChanged.wait_for(lock, std::chrono::milliseconds(roundMilliseconds),
                                    [this] { return _stopping || !_parked.empty(); });
            if (_stopping)
                return;
            if (_parked.empty())
                continue;
        }
        Poco::Net::PollSet::SocketModeMap ready;
        try {
            ready = _pollSet.poll(Poco::Timespan(0, roundMilliseconds * 1000));
        } catch (const Poco::Exception& e) {
            Poco::Logger::get("http").warning("idle connection poll failed: %s", e.displayText());
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            continue;
        }
        std::vector<std::shared_ptr<HttpConnection>> readable;
        std::vector<std::shared_ptr<HttpConnection>> expired;
        {
            std::lock_guard lock(_mutex);
            if (_stopping)
                return;
            for (const auto& [socket, mode] : ready) {
                if (auto connection = unparkLocked(socket))
                    readable.push_back(std::move(connection));
            }
            const auto now = Clock::now();
            while (!_deadlines.empty() && _deadlines.begin()->first <= now) {
                const Poco::Net::Socket socket = _deadlines.begin()->second;
                expired.push_back(unparkLocked(socket));
            }
        }
        for (auto& connection : readable) {
            if (peerClosed(connection->socket()))
                connection->close();
            else
                _onReadable(std::move(connection));
        }
        for (const auto& connection : expired)
            connection->close();
    }
}

} // namespace comfygate
