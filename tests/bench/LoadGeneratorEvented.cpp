// LoadGenerator::runEvented: many keep-alive connections on a few epoll loops (like wrk).
#include "LoadGenerator.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <thread>

namespace comfygate::bench {

namespace {

using Clock = std::chrono::steady_clock;

enum class State { Connecting, Sending, Receiving };

struct Connection
{
    int fd = -1;
    State state = State::Connecting;
    std::size_t sent = 0;
    std::string in;
    Clock::time_point started;
    long long answered = 0;
    bool everAnswered = false;
};

struct Counters
{
    long long failures = 0, connectErrors = 0, drops = 0, timeouts = 0, starved = 0;
    std::vector<double> latencies;
};

/// How many bytes of `in` make one whole response (0: not complete yet, -1: malformed); `status` set.
long responseLength(const std::string& in, int& status)
{
    const auto headerEnd = in.find("\r\n\r\n");
    if (headerEnd == std::string::npos)
        return 0;
    if (in.compare(0, 5, "HTTP/") != 0 || in.size() < 12)
        return -1;
    status = std::atoi(in.c_str() + 9);
    const std::size_t bodyStart = headerEnd + 4;
    // Header names are case-insensitive: look at a lower-cased copy of the head only.
    std::string head = in.substr(0, headerEnd + 2);
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    const auto length = head.find("\r\ncontent-length:");
    if (length != std::string::npos) {
        const long n = std::atol(head.c_str() + length + 17);
        return in.size() >= bodyStart + static_cast<std::size_t>(n) ? static_cast<long>(bodyStart + n) : 0;
    }
    if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
        std::size_t pos = bodyStart;
        for (;;) {
            const auto lineEnd = in.find("\r\n", pos);
            if (lineEnd == std::string::npos)
                return 0;
            const long size = std::strtol(in.c_str() + pos, nullptr, 16);
            const std::size_t next = lineEnd + 2 + static_cast<std::size_t>(size) + 2;
            if (in.size() < next)
                return 0;
            if (size == 0)
                return static_cast<long>(next); // no trailers expected
            pos = next;
        }
    }
    if (status == 204 || status == 304)
        return static_cast<long>(bodyStart);
    return -1; // body until close: not something a keep-alive benchmark can use
}

class Loop
{
public:
    Loop(unsigned port, int connections, const std::string& request, Clock::time_point deadline,
         std::chrono::milliseconds timeout)
        : _request(request), _deadline(deadline), _timeout(timeout), _connections(static_cast<std::size_t>(connections))
    {
        _address.sin_family = AF_INET;
        _address.sin_port = htons(static_cast<uint16_t>(port));
        _address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        _epoll = epoll_create1(EPOLL_CLOEXEC);
    }
    ~Loop()
    {
        for (auto& c : _connections)
            if (c.fd >= 0)
                ::close(c.fd);
        ::close(_epoll);
    }

    void run()
    {
        for (std::size_t i = 0; i < _connections.size(); ++i)
            open(i);
        std::vector<epoll_event> events(256);
        auto lastSweep = Clock::now();
        for (;;) {
            const auto now = Clock::now();
            if (now >= _deadline)
                break;
            const int wait = static_cast<int>(
                std::min<long long>(50, std::chrono::duration_cast<std::chrono::milliseconds>(_deadline - now).count() + 1));
            const int n = epoll_wait(_epoll, events.data(), static_cast<int>(events.size()), wait);
            for (int k = 0; k < n; ++k)
                handle(events[k].data.u64, events[k].events);
            if (Clock::now() - lastSweep > std::chrono::milliseconds(100)) {
                lastSweep = Clock::now();
                sweepTimeouts(lastSweep);
            }
        }
        for (auto& c : _connections)
            if (!c.everAnswered)
                ++_counters.starved;
    }

    Counters& counters() { return _counters; }

private:
    void open(std::size_t i)
    {
        Connection& c = _connections[i];
        c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        const int one = 1;
        ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c.state = State::Connecting;
        c.sent = 0;
        c.in.clear();
        c.started = Clock::now();
        const int rc = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&_address), sizeof _address);
        if (rc != 0 && errno != EINPROGRESS) {
            ++_counters.connectErrors;
            ::close(c.fd);
            c.fd = -1;
            _retry.push_back(i);
            return;
        }
        epoll_event event{};
        event.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
        event.data.u64 = i;
        epoll_ctl(_epoll, EPOLL_CTL_ADD, c.fd, &event);
        if (rc == 0)
            startRequest(i);
    }

    void reopen(std::size_t i)
    {
        Connection& c = _connections[i];
        if (c.fd >= 0) {
            epoll_ctl(_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
            ::close(c.fd);
            c.fd = -1;
        }
        if (Clock::now() < _deadline)
            open(i);
    }

    void startRequest(std::size_t i)
    {
        Connection& c = _connections[i];
        c.state = State::Sending;
        c.sent = 0;
        c.in.clear();
        c.started = Clock::now();
        send(i);
    }

    void send(std::size_t i)
    {
        Connection& c = _connections[i];
        while (c.sent < _request.size()) {
            const ssize_t n = ::send(c.fd, _request.data() + c.sent, _request.size() - c.sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    return modify(i, EPOLLOUT | EPOLLIN | EPOLLRDHUP);
                ++_counters.drops;
                return reopen(i);
            }
            c.sent += static_cast<std::size_t>(n);
        }
        c.state = State::Receiving;
        modify(i, EPOLLIN | EPOLLRDHUP);
    }

    void modify(std::size_t i, uint32_t mask)
    {
        epoll_event event{};
        event.events = mask;
        event.data.u64 = i;
        epoll_ctl(_epoll, EPOLL_CTL_MOD, _connections[i].fd, &event);
    }

    void handle(std::size_t i, uint32_t mask)
    {
        Connection& c = _connections[i];
        if (c.fd < 0)
            return;
        if (c.state == State::Connecting) {
            int error = 0;
            socklen_t size = sizeof error;
            ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &size);
            if (error != 0 || (mask & (EPOLLERR | EPOLLHUP))) {
                ++_counters.connectErrors;
                return reopen(i);
            }
            if (mask & EPOLLOUT)
                return startRequest(i);
            return;
        }
        if (c.state == State::Sending && (mask & EPOLLOUT))
            return send(i);
        if (mask & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            char buffer[16384];
            for (;;) {
                const ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
                if (n > 0) {
                    c.in.append(buffer, static_cast<std::size_t>(n));
                    if (static_cast<std::size_t>(n) < sizeof buffer)
                        break;
                    continue;
                }
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    break;
                // Closed or reset by the server. Before a first answer on this socket that is a
                // refused connection (accepted by the kernel, closed by the server).
                if (c.answered == 0)
                    ++_counters.connectErrors;
                else
                    ++_counters.drops;
                return reopen(i);
            }
            if (c.state != State::Receiving)
                return;
            int status = 0;
            const long length = responseLength(c.in, status);
            if (length < 0) {
                ++_counters.failures;
                return reopen(i);
            }
            if (length == 0)
                return;
            const auto now = Clock::now();
            if (status >= 200 && status < 300) {
                if (now <= _deadline)
                    _counters.latencies.push_back(std::chrono::duration<double, std::milli>(now - c.started).count());
            } else {
                ++_counters.failures;
            }
            ++c.answered;
            c.everAnswered = true;
            const bool closing = [&] {
                std::string head = c.in.substr(0, c.in.find("\r\n\r\n"));
                std::transform(head.begin(), head.end(), head.begin(), [](unsigned char ch) { return std::tolower(ch); });
                return head.find("\r\nconnection: close") != std::string::npos;
            }();
            if (now >= _deadline)
                return;
            if (closing) {
                c.answered = 0; // the next socket starts afresh; an announced close is not a drop
                return reopen(i);
            }
            startRequest(i);
        }
    }

    void sweepTimeouts(Clock::time_point now)
    {
        for (std::size_t i = 0; i < _connections.size(); ++i) {
            Connection& c = _connections[i];
            if (c.fd >= 0 && now - c.started > _timeout) {
                // A connect still pending (SYNs dropped by a full listen backlog) is a connection
                // error; an accepted connection whose request gets no answer is a timeout.
                ++(c.state == State::Connecting ? _counters.connectErrors : _counters.timeouts);
                c.answered = 0;
                reopen(i);
            }
        }
        auto retry = std::move(_retry);
        _retry.clear();
        for (const auto i : retry)
            if (_connections[i].fd < 0)
                open(i);
    }

    const std::string& _request;
    Clock::time_point _deadline;
    std::chrono::milliseconds _timeout;
    std::vector<Connection> _connections;
    std::vector<std::size_t> _retry;
    sockaddr_in _address{};
    int _epoll = -1;
    Counters _counters;
};

} // namespace

LoadGenerator::Result LoadGenerator::runEvented(const Request& spec, int threads,
                                                std::chrono::milliseconds requestTimeout) const
{
    std::string request = spec.method + " " + spec.path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(_port) +
                          "\r\nConnection: keep-alive\r\n";
    for (const auto& [name, value] : spec.headers)
        request += name + ": " + value + "\r\n";
    if (!spec.body.empty())
        request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(spec.body.size()) + "\r\n";
    request += "\r\n" + spec.body;

    threads = std::max(1, std::min(threads, _connections));
    const auto start = Clock::now();
    const auto deadline = start + _duration;
    std::mutex mutex;
    Result result;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        const int mine = _connections / threads + (t < _connections % threads ? 1 : 0);
        workers.emplace_back([&, mine] {
            Loop loop(_port, mine, request, deadline, requestTimeout);
            loop.run();
            auto& counters = loop.counters();
            std::lock_guard lock(mutex);
            result.failures += counters.failures;
            result.connectErrors += counters.connectErrors;
            result.drops += counters.drops;
            result.timeouts += counters.timeouts;
            result.starved += counters.starved;
            result.latenciesMs.insert(result.latenciesMs.end(), counters.latencies.begin(), counters.latencies.end());
        });
    }
    for (auto& worker : workers)
        worker.join();
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    result.requests = static_cast<long long>(result.latenciesMs.size());
    std::sort(result.latenciesMs.begin(), result.latenciesMs.end());
    return result;
}

} // namespace comfygate::bench
