#pragma once

#include "InProcessEventBus.h"
#include "PostgresNotifications.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace comfygate {

/// The EventBus of an instance that shares its PostgreSQL database with others: an event
/// published here is delivered to this instance's subscribers at once (as InProcessEventBus
/// does) and sent to the other instances over `LISTEN/NOTIFY` (channel `comfygate_events`),
/// whose subscribers get it on their notification thread. So a WebSocket on any instance sees
/// the download progress of a job another instance runs.
///
/// An event a subscriber publishes while it handles an event from another instance (the
/// asset-download events derived from download progress) is delivered here only: the instance
/// where the first event started derives it too, and its copy reaches every instance.
/// Events whose encoding exceeds PostgreSQL's 8000-byte payload limit stay on this instance
/// (logged, counted in droppedCount()).
class ClusterEventBus : public EventBus
{
public:
    /// `local` delivers to this instance's subscribers and outlives this object; `connection`
    /// is the database's libpq connection string; `databaseBack` runs when the connection is
    /// open again after the database was unreachable (PostgresNotifications). Call start() to
    /// begin sending and listening.
    ClusterEventBus(InProcessEventBus& local, const std::string& connection, std::function<void()> databaseBack = {});
    ~ClusterEventBus() override;

    void start();
    void stop();

    void publish(const Event& event) override;
    SubscriptionId subscribe(Subscriber subscriber) override;
    void unsubscribe(SubscriptionId id) override;

    const PostgresNotifications& notifications() const { return *_notifications; }

    /// The notification payload of `event`, and back (std::nullopt when it is not one).
    static std::string encode(const Event& event);
    static std::optional<Event> decode(const std::string& payload);

private:
    void onRemote(const std::string& payload);

    InProcessEventBus& _local;
    std::unique_ptr<PostgresNotifications> _notifications;
    Poco::Logger& _logger;
};

} // namespace comfygate
