#pragma once

#include <Poco/Logger.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

struct pg_conn;

namespace comfygate {

/// PostgreSQL `LISTEN/NOTIFY` on one channel, for the instances that share a database: one
/// libpq connection of its own (outside the session pool: a listening connection must stay
/// open and is never handed to a query), served by one thread that sends the queued
/// notifications in order and hands every notification of another connection to `receiver`.
///
/// A lost connection is opened again (after 1 s, then every 2 s) and LISTENs again;
/// notifications sent by other instances while it was down are lost, which is why what rides
/// on it must be either transient (progress events) or a hint to re-read the database
/// (cache invalidations). connected() says whether it currently listens, for readiness.
class PostgresNotifications
{
public:
    using Receiver = std::function<void(const std::string& payload)>;

    /// PostgreSQL refuses payloads of 8000 bytes and more.
    static constexpr std::size_t maxPayload = 7999;

    /// `connection` in libpq key=value form; `channel` a plain identifier. `reconnected` (may
    /// be empty) runs on the thread each time the connection is open again after it was lost.
    /// Starts nothing.
    PostgresNotifications(std::string connection, std::string channel, Receiver receiver,
                          std::function<void()> reconnected = {});
    ~PostgresNotifications();

    PostgresNotifications(const PostgresNotifications&) = delete;
    PostgresNotifications& operator=(const PostgresNotifications&) = delete;

    /// Starts the thread, which connects in the background.
    void start();
    /// Stops the thread and closes the connection; unsent notifications are dropped.
    void stop();

    /// Queues `payload` for the other instances. False (and counted as dropped) when it is too
    /// long or the queue is full (the database is unreachable for long).
    bool send(std::string payload);

    bool connected() const { return _connected.load(std::memory_order_acquire); }
    std::uint64_t sentCount() const { return _sent.load(std::memory_order_relaxed); }
    std::uint64_t receivedCount() const { return _received.load(std::memory_order_relaxed); }
    std::uint64_t droppedCount() const { return _dropped.load(std::memory_order_relaxed); }

private:
    void run();
    bool open();
    void close();
    bool flush();
    bool receive();
    void wake();

    const std::string _connectionString;
    const std::string _channel;
    const Receiver _receiver;
    const std::function<void()> _reconnected;
    bool _wasLost = false;
    pg_conn* _connection = nullptr;
    int _wakeFd = -1;

    std::mutex _mutex;
    std::condition_variable _stopped;
    std::deque<std::string> _outgoing;
    bool _stopping = false;
    std::thread _thread;

    std::atomic<bool> _connected{false};
    std::atomic<std::uint64_t> _sent{0};
    std::atomic<std::uint64_t> _received{0};
    std::atomic<std::uint64_t> _dropped{0};
    Poco::Logger& _logger;
};

} // namespace comfygate
