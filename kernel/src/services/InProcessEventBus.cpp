#include "InProcessEventBus.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <stdexcept>
#include <iterator>
#include <string>
#include <utility>

namespace comfygate {

struct InProcessEventBus::Subscription
{
    SubscriptionId id = 0;
    Subscriber callback;

    std::mutex mutex;
    std::condition_variable idle;
    int running = 0;
    bool active = true;
};

namespace {

// The subscriptions whose callbacks run on this thread right now, innermost last, so that
// unsubscribe() from inside a callback does not wait for itself.
thread_local std::vector<const void*> deliveringOnThisThread;

} // namespace

InProcessEventBus::InProcessEventBus()
    : _subscribers(std::make_shared<const SubscriberList>()), _logger(Poco::Logger::get("events"))
{}

InProcessEventBus::~InProcessEventBus() = default;

void InProcessEventBus::publish(const Event& event)
{
    _published.fetch_add(1, std::memory_order_relaxed);
    std::shared_ptr<const SubscriberList> snapshot;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        snapshot = _subscribers;
    }
    for (const auto& subscription : *snapshot)
        deliver(*subscription, event);
}

void InProcessEventBus::deliver(Subscription& subscription, const Event& event)
{
    {
        std::lock_guard<std::mutex> lock(subscription.mutex);
        if (!subscription.active)
            return;
        ++subscription.running;
    }
    deliveringOnThisThread.push_back(&subscription);
    try {
        subscription.callback(event);
    } catch (const std::exception& e) {
        _logger.error("Subscriber %s failed on event '%s': %s", std::to_string(subscription.id),
                      event.type, std::string(e.what()));
    } catch (...) {
        _logger.error("Subscriber %s failed on event '%s' with an unknown exception",
                      std::to_string(subscription.id), event.type);
    }
    deliveringOnThisThread.pop_back();
    {
        std::lock_guard<std::mutex> lock(subscription.mutex);
        --subscription.running;
    }
    subscription.idle.notify_all();
}

EventBus::SubscriptionId InProcessEventBus::subscribe(Subscriber subscriber)
{
    if (!subscriber)
        throw std::invalid_argument("EventBus::subscribe needs a callback");
    auto subscription = std::make_shared<Subscription>();
    subscription->callback = std::move(subscriber);

    std::shared_ptr<const SubscriberList> previous;
    std::lock_guard<std::mutex> lock(_mutex);
    subscription->id = _nextId++;
    auto next = std::make_shared<SubscriberList>(*_subscribers);
    next->push_back(subscription);
    previous = std::exchange(_subscribers, std::move(next));
    return subscription->id;
}

void InProcessEventBus::unsubscribe(SubscriptionId id)
{
    std::shared_ptr<Subscription> removed;
    std::shared_ptr<const SubscriberList> previous;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        const auto found = std::find_if(_subscribers->begin(), _subscribers->end(),
                                        [id](const auto& s) { return s->id == id; });
        if (found == _subscribers->end())
            return;
        removed = *found;
        auto next = std::make_shared<SubscriberList>();
        next->reserve(_subscribers->size() - 1);
        std::copy_if(_subscribers->begin(), _subscribers->end(), std::back_inserter(*next),
                     [id](const auto& s) { return s->id != id; });
        previous = std::exchange(_subscribers, std::move(next));
    }

    const auto ownCalls =
        std::count(deliveringOnThisThread.begin(), deliveringOnThisThread.end(), removed.get());
    Subscriber released;
    {
        std::unique_lock<std::mutex> lock(removed->mutex);
        removed->active = false;
        removed->idle.wait(lock, [&] { return removed->running <= ownCalls; });
        // Free what the callback captured now, unless it is still running up this stack;
        // outside the lock, since its destructor may use the bus.
        if (removed->running == 0)
            released = std::move(removed->callback);
    }
}

std::uint64_t InProcessEventBus::publishedCount() const
{
    return _published.load(std::memory_order_relaxed);
}

std::size_t InProcessEventBus::subscriberCount() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return _subscribers->size();
}

} // namespace comfygate
