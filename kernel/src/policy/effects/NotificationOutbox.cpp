#include "NotificationOutbox.h"

#include "PolicyEffects.h"

#include <Poco/Logger.h>

#include <algorithm>

namespace comfygate {

namespace {

constexpr int batchSize = 20;

} // namespace

NotificationOutbox::NotificationOutbox(Database& database, HttpClient& client, const PolicyEffectsSettings& settings,
                                       std::function<std::int64_t()> clockMs)
    : _database(database), _client(client), _timeout(settings.notifyTimeout),
      _maxAttempts(settings.notifyMaxAttempts), _retryBase(settings.notifyRetryBase),
      _retryMax(settings.notifyRetryMax), _interval(settings.notifyInterval), _clockMs(std::move(clockMs))
{
    for (const auto& [name, channel] : settings.channels)
        _channels.emplace(name, NotificationChannel(channel));
}

void NotificationOutbox::enqueue(const std::string& channel, const std::string& message,
                                 const std::string& fieldsJson)
{
    if (!_channels.count(channel))
        throw PolicyRefusals::unknownChannel(channel);
    const std::int64_t now = _clockMs();
    _database.execute("INSERT INTO policy_outbox (channel, message, fields, created_at, next_attempt_ms) "
                      "VALUES (?, ?, ?, ?, ?)",
                      {channel, message, fieldsJson, Poco::Int64(now / 1000), Poco::Int64(now)});
    requestDelivery();
}

void NotificationOutbox::start(Scheduler& scheduler)
{
    _timer = scheduler.every(_interval, [this] { deliverDue(); });
    _scheduler = &scheduler;
}

void NotificationOutbox::stop()
{
    if (Scheduler* scheduler = _scheduler.exchange(nullptr))
        scheduler->cancel(_timer);
}

void NotificationOutbox::requestDelivery()
{
    _again = true;
    if (Scheduler* scheduler = _scheduler.load())
        scheduler->submit([this] { deliverDue(); });
}

std::int64_t NotificationOutbox::pendingCount()
{
    const auto rows = _database.select("SELECT COUNT(*) FROM policy_outbox WHERE state = 'pending'", {});
    return rows.empty() ? 0 : rows[0][0].convert<Poco::Int64>();
}

std::vector<Notification> NotificationOutbox::claim(bool& more)
{
    std::vector<Notification> claimed;
    std::vector<std::int64_t> attempts;
    const std::int64_t now = _clockMs();
    // Past the send timeout, so that no other sender picks a row up while this one sends it.
    const std::int64_t leaseEnd = now + 2 * _timeout.count() + 60000;
    const std::string lock = _database.backend() == Database::Backend::PostgreSQL ? " FOR UPDATE SKIP LOCKED" : "";
    _database.write([&](Poco::Data::Session&) {
        const auto rows = _database.select(
            "SELECT id, channel, message, fields FROM policy_outbox WHERE state = 'pending' AND next_attempt_ms <= ? "
            "ORDER BY id LIMIT " + std::to_string(batchSize) + lock,
            {Poco::Int64(now)});
        more = rows.size() == static_cast<std::size_t>(batchSize);
        for (const auto& row : rows) {
            Notification notification;
            notification.id = row[0].convert<Poco::Int64>();
            notification.channel = row[1].convert<std::string>();
            notification.message = row[2].convert<std::string>();
            notification.fieldsJson = row[3].convert<std::string>();
            // Conditional, so a row another sender claimed meanwhile is left to it even where
            // the select above could not lock (SQLite serialises writers anyway).
            if (_database.execute("UPDATE policy_outbox SET next_attempt_ms = ? "
                                  "WHERE id = ? AND state = 'pending' AND next_attempt_ms <= ?",
                                  {Poco::Int64(leaseEnd), Poco::Int64(notification.id), Poco::Int64(now)}) == 1)
                claimed.push_back(std::move(notification));
        }
    });
    return claimed;
}

std::size_t NotificationOutbox::deliverDue()
{
    std::unique_lock running(_delivering, std::try_to_lock);
    if (!running)
        return 0; // the running pass sees _again and goes round once more
    std::size_t attempted = 0;
    try {
        do {
            _again = false;
            for (bool more = true; more;) {
                const auto batch = claim(more);
                for (const auto& notification : batch)
                    deliver(notification);
                attempted += batch.size();
            }
        } while (_again.exchange(false));
    } catch (const std::exception& e) {
        Poco::Logger::get("policy").error("notification outbox: %s", std::string(e.what()));
    }
    return attempted;
}

void NotificationOutbox::deliver(const Notification& notification)
{
    const auto channel = _channels.find(notification.channel);
    std::string error;
    if (channel == _channels.end()) {
        error = "channel '" + notification.channel + "' is no longer configured";
    } else {
        try {
            channel->second.send(_client, notification, _clockMs() / 1000, _timeout);
            _database.execute("DELETE FROM policy_outbox WHERE id = ?", {Poco::Int64(notification.id)});
            ++_sent;
            return;
        } catch (const std::exception& e) {
            error = e.what();
        }
    }
    std::int64_t attempts = 1;
    _database.write([&](Poco::Data::Session&) {
        const auto rows = _database.select("SELECT attempts FROM policy_outbox WHERE id = ?",
                                           {Poco::Int64(notification.id)});
        if (!rows.empty())
            attempts = rows[0][0].convert<Poco::Int64>() + 1;
        if (attempts >= _maxAttempts) {
            _database.execute("UPDATE policy_outbox SET attempts = ?, state = 'failed', last_error = ? WHERE id = ?",
                              {Poco::Int64(attempts), error, Poco::Int64(notification.id)});
            return;
        }
        const auto shift = std::min<std::int64_t>(attempts - 1, 30);
        const auto delay = std::min<std::int64_t>(_retryBase.count() << shift, _retryMax.count());
        _database.execute("UPDATE policy_outbox SET attempts = ?, next_attempt_ms = ?, last_error = ? WHERE id = ?",
                          {Poco::Int64(attempts), Poco::Int64(_clockMs() + delay), error,
                           Poco::Int64(notification.id)});
    });
    if (attempts >= _maxAttempts) {
        ++_failed;
        Poco::Logger::get("policy").error("notification %s to channel '%s' given up after %s attempts: %s",
                                          std::to_string(notification.id), notification.channel,
                                          std::to_string(attempts), error);
    } else {
        Poco::Logger::get("policy").warning("notification %s to channel '%s' failed (attempt %s of %s): %s",
                                            std::to_string(notification.id), notification.channel,
                                            std::to_string(attempts), std::to_string(_maxAttempts), error);
    }
}

} // namespace comfygate
