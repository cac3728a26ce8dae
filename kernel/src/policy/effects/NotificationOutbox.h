#pragma once

#include "NotificationChannel.h"
#include "PolicyEffectsSettings.h"

#include "comfygate/Database.h"
#include "comfygate/HttpClient.h"
#include "comfygate/Scheduler.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace comfygate {

/// The durable queue behind policy.notify: enqueue() inserts a row into `policy_outbox` and
/// returns; deliverDue() (on the scheduler: every policy.notify.interval_ms, and right after
/// an enqueue) sends the rows that are due through their channel. A failed send is retried
/// with exponential backoff (policy.notify.retry_base_ms doubling up to retry_max_ms) and
/// given up, logged and kept as `failed`, after policy.notify.max_attempts attempts.
///
/// Several instances on one PostgreSQL share the table: a sender claims due rows with
/// `FOR UPDATE SKIP LOCKED` and moves their next attempt past the send timeout (a lease)
/// before sending, so no row is sent by two instances; a row whose sender died is sent again
/// when its lease ends (at least once).
class NotificationOutbox
{
public:
    /// `clockMs`: Unix milliseconds.
    NotificationOutbox(Database& database, HttpClient& client, const PolicyEffectsSettings& settings,
                       std::function<std::int64_t()> clockMs);

    /// Queues a notification; throws PolicyEffectError for a channel that is not configured.
    void enqueue(const std::string& channel, const std::string& message, const std::string& fieldsJson);

    /// Sends every row that is due (in batches); returns how many were attempted.
    std::size_t deliverDue();

    /// Runs deliverDue() every interval and after each enqueue, on `scheduler`'s workers.
    void start(Scheduler& scheduler);
    void stop();

    std::uint64_t sentCount() const { return _sent.load(); }
    std::uint64_t failedCount() const { return _failed.load(); }
    /// Rows waiting to be sent (all instances).
    std::int64_t pendingCount();

private:
    /// Claims up to one batch of due rows; `more` tells whether a full batch was due.
    std::vector<Notification> claim(bool& more);
    void deliver(const Notification& notification);
    void requestDelivery();

    Database& _database;
    HttpClient& _client;
    std::map<std::string, NotificationChannel> _channels;
    std::chrono::milliseconds _timeout;
    int _maxAttempts;
    std::chrono::milliseconds _retryBase;
    std::chrono::milliseconds _retryMax;
    std::chrono::milliseconds _interval;
    std::function<std::int64_t()> _clockMs;

    std::atomic<Scheduler*> _scheduler{nullptr}; // read by enqueue() on request threads
    Scheduler::TimerId _timer = 0;
    std::mutex _delivering;              // one delivery run at a time in this process
    std::atomic<bool> _again{false};     // an enqueue arrived during a run
    std::atomic<std::uint64_t> _sent{0};
    std::atomic<std::uint64_t> _failed{0};
};

} // namespace comfygate
