#pragma once

#include "comfygate/EventBus.h"

#include <Poco/Logger.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace comfygate {

/// The kernel's EventBus: synchronous delivery on the publisher's thread.
///
/// publish() delivers to a snapshot of the subscriber list (copy-on-write, shared_ptr) and
/// holds no bus lock while subscribers run, so a subscriber may publish, subscribe or
/// unsubscribe from its callback. A subscriber that throws is logged on the "events" logger
/// and the others still get the event.
///
/// unsubscribe() guarantees that once it returns the subscriber is not running on another
/// thread and will not be called again, so the caller may then destroy what the callback
/// uses. It waits for deliveries in progress on other threads; called from inside that
/// subscriber's own callback it does not wait (the running call finishes normally).
class InProcessEventBus : public EventBus
{
public:
    InProcessEventBus();
    ~InProcessEventBus() override;

    InProcessEventBus(const InProcessEventBus&) = delete;
    InProcessEventBus& operator=(const InProcessEventBus&) = delete;

    void publish(const Event& event) override;
    SubscriptionId subscribe(Subscriber subscriber) override;
    /// Unknown or already removed ids are ignored.
    void unsubscribe(SubscriptionId id) override;

    /// Events published since construction, for metrics.
    std::uint64_t publishedCount() const;
    /// Current number of subscribers, for metrics.
    std::size_t subscriberCount() const;

private:
    struct Subscription;
    using SubscriberList = std::vector<std::shared_ptr<Subscription>>;

    void deliver(Subscription& subscription, const Event& event);

    mutable std::mutex _mutex;
    std::shared_ptr<const SubscriberList> _subscribers;
    SubscriptionId _nextId = 1;
    std::atomic<std::uint64_t> _published{0};
    Poco::Logger& _logger;
};

} // namespace comfygate
