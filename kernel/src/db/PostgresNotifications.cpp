#include "PostgresNotifications.h"

#include <libpq-fe.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <stdexcept>

namespace comfygate {

namespace {

constexpr std::size_t maxQueued = 10000;

std::string firstLine(const char* message)
{
    std::string text = message ? message : "";
    const std::size_t end = text.find('\n');
    return end == std::string::npos ? text : text.substr(0, end);
}

} // namespace

PostgresNotifications::PostgresNotifications(std::string connection, std::string channel, Receiver receiver,
                                             std::function<void()> reconnected) :
    _connectionString(std::move(connection)),
    _channel(std::move(channel)),
    _receiver(std::move(receiver)),
    _reconnected(std::move(reconnected)),
    _logger(Poco::Logger::get("comfygate.database.notify"))
{
    for (const char c : _channel) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
            throw std::invalid_argument("notification channel '" + _channel + "' must be letters, digits and _");
    }
    _wakeFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (_wakeFd < 0)
        throw std::runtime_error("eventfd failed");
}

PostgresNotifications::~PostgresNotifications()
{
    stop();
    ::close(_wakeFd);
}

void PostgresNotifications::start()
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (_thread.joinable())
        return;
    _stopping = false;
    _thread = std::thread([this] { run(); });
}

void PostgresNotifications::stop()
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _stopping = true;
    }
    _stopped.notify_all();
    wake();
    if (_thread.joinable())
        _thread.join();
}

bool PostgresNotifications::send(std::string payload)
{
    if (payload.size() > maxPayload) {
        _dropped.fetch_add(1, std::memory_order_relaxed);
        _logger.warning("not sent to the other instances: %z bytes, over PostgreSQL's notification limit",
                        payload.size());
        return false;
    }
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (_outgoing.size() >= maxQueued) {
            _dropped.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        _outgoing.push_back(std::move(payload));
    }
    wake();
    return true;
}

void PostgresNotifications::wake()
{
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(_wakeFd, &one, sizeof one);
}

void PostgresNotifications::run()
{
    auto retry = std::chrono::seconds(1);
    for (;;) {
        {
            std::lock_guard<std::mutex> lock(_mutex);
            if (_stopping)
                break;
        }
        if (!_connection && !open()) {
            std::unique_lock<std::mutex> lock(_mutex);
            _stopped.wait_for(lock, retry, [this] { return _stopping; });
            retry = std::chrono::seconds(2);
            continue;
        }
        retry = std::chrono::seconds(1);
        if (!flush() || !receive()) {
            close();
            continue;
        }
        pollfd fds[2] = {{PQsocket(_connection), POLLIN, 0}, {_wakeFd, POLLIN, 0}};
        ::poll(fds, 2, 1000);
        if (fds[1].revents & POLLIN) {
            std::uint64_t count = 0;
            [[maybe_unused]] const ssize_t got = ::read(_wakeFd, &count, sizeof count);
        }
    }
    close();
}

bool PostgresNotifications::open()
{
    // A server that does not answer must not hold the thread (and so stop()) for libpq's
    // default of waiting forever.
    const std::string connection = _connectionString.find("connect_timeout=") == std::string::npos
        ? _connectionString + " connect_timeout=5"
        : _connectionString;
    _connection = PQconnectdb(connection.c_str());
    if (PQstatus(_connection) != CONNECTION_OK) {
        _logger.warning("cannot listen for the other instances' notifications: %s",
                        firstLine(PQerrorMessage(_connection)));
        PQfinish(_connection);
        _connection = nullptr;
        return false;
    }
    PGresult* result = PQexec(_connection, ("LISTEN " + _channel).c_str());
    const bool listening = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    if (!listening) {
        _logger.warning("LISTEN %s failed: %s", _channel, firstLine(PQerrorMessage(_connection)));
        PQfinish(_connection);
        _connection = nullptr;
        return false;
    }
    _logger.information("listening on channel %s", _channel);
    if (_wasLost && _reconnected) {
        try {
            _reconnected();
        } catch (const std::exception& error) {
            _logger.error("after reconnecting: %s", std::string(error.what()));
        }
    }
    _wasLost = false;
    _connected.store(true, std::memory_order_release);
    return true;
}

void PostgresNotifications::close()
{
    if (!_connection)
        return;
    bool stopping = false;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        stopping = _stopping;
    }
    if (_connected.exchange(false) && !stopping) {
        _logger.warning("lost the connection to PostgreSQL; opening it again");
        _wasLost = true;
    }
    PQfinish(_connection);
    _connection = nullptr;
}

bool PostgresNotifications::flush()
{
    for (;;) {
        std::string payload;
        {
            std::lock_guard<std::mutex> lock(_mutex);
            if (_outgoing.empty() || _stopping)
                return true;
            payload = _outgoing.front();
        }
        const char* values[2] = {_channel.c_str(), payload.c_str()};
        PGresult* result = PQexecParams(_connection, "SELECT pg_notify($1, $2)", 2, nullptr, values, nullptr,
                                        nullptr, 0);
        const bool sent = PQresultStatus(result) == PGRES_TUPLES_OK;
        PQclear(result);
        if (!sent) {
            // Kept at the head of the queue: sent once the connection is back.
            if (PQstatus(_connection) == CONNECTION_OK) {
                _logger.warning("notification refused: %s", firstLine(PQerrorMessage(_connection)));
                std::lock_guard<std::mutex> lock(_mutex);
                _outgoing.pop_front();
                _dropped.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            return false;
        }
        {
            std::lock_guard<std::mutex> lock(_mutex);
            _outgoing.pop_front();
        }
        _sent.fetch_add(1, std::memory_order_relaxed);
    }
}

bool PostgresNotifications::receive()
{
    if (!PQconsumeInput(_connection))
        return false;
    const int self = PQbackendPID(_connection);
    while (PGnotify* notification = PQnotifies(_connection)) {
        // Our own NOTIFYs come back to us too; this instance delivered those already.
        if (notification->be_pid != self) {
            _received.fetch_add(1, std::memory_order_relaxed);
            try {
                _receiver(notification->extra ? notification->extra : "");
            } catch (const std::exception& error) {
                _logger.error("a notification's receiver failed: %s", std::string(error.what()));
            }
        }
        PQfreemem(notification);
    }
    return PQstatus(_connection) == CONNECTION_OK;
}

} // namespace comfygate
