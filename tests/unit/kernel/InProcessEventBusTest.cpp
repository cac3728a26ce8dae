#include "InProcessEventBus.h"

#include "comfygate/Principal.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

#include "CapturedLog.h"

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using comfygate::Audience;
using comfygate::Event;
using comfygate::EventBus;
using comfygate::InProcessEventBus;
using comfygate::Principal;
using namespace std::chrono_literals;

using comfygate::test::CapturedLog;

namespace {


/// Thread-safe record of what one subscriber received.
class Inbox
{
public:
    EventBus::Subscriber subscriber()
    {
        return [this](const Event& event) {
            std::lock_guard<std::mutex> lock(_mutex);
            _events.push_back(event);
        };
    }

    std::vector<Event> events() const
    {
        std::lock_guard<std::mutex> lock(_mutex);
        return _events;
    }

    std::size_t size() const { return events().size(); }

private:
    mutable std::mutex _mutex;
    std::vector<Event> _events;
};

/// A one-way flag a test thread can wait for with a timeout.
class Flag
{
public:
    void raise()
    {
        {
            std::lock_guard<std::mutex> lock(_mutex);
            _raised = true;
        }
        _changed.notify_all();
    }

    bool waitFor(std::chrono::milliseconds timeout)
    {
        std::unique_lock<std::mutex> lock(_mutex);
        return _changed.wait_for(lock, timeout, [this] { return _raised; });
    }

private:
    std::mutex _mutex;
    std::condition_variable _changed;
    bool _raised = false;
};

Event progressEvent(const std::string& userId)
{
    return Event{"download_progress", R"({"job_id":"j1","progress":0.5})", Audience::user(userId)};
}

Principal signedIn(const std::string& userId, const std::string& role)
{
    Principal principal;
    principal.authenticated = true;
    principal.userId = userId;
    principal.username = "name-" + userId;
    principal.role = role;
    return principal;
}

} // namespace

class InProcessEventBusTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(InProcessEventBusTest);
    CPPUNIT_TEST(testEveryoneSubscribedReceivesEventWithAudience);
    CPPUNIT_TEST(testThrowingSubscriberDoesNotStopOthers);
    CPPUNIT_TEST(testUnsubscribeStopsDelivery);
    CPPUNIT_TEST(testUnsubscribeDuringDelivery);
    CPPUNIT_TEST(testSubscribeAndPublishFromSubscriber);
    CPPUNIT_TEST(testUnsubscribeWaitsForRunningDelivery);
    CPPUNIT_TEST(testConcurrentPublishWithSubscribeAndUnsubscribe);
    CPPUNIT_TEST(testEmptySubscriberRefused);
    CPPUNIT_TEST(testAudienceUser);
    CPPUNIT_TEST(testAudienceRole);
    CPPUNIT_TEST(testAudienceEveryone);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEveryoneSubscribedReceivesEventWithAudience()
    {
        InProcessEventBus bus;
        Inbox first, second, third;
        bus.subscribe(first.subscriber());
        bus.subscribe(second.subscriber());
        bus.subscribe(third.subscriber());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), bus.subscriberCount());

        bus.publish(progressEvent("42"));
        bus.publish(Event{"models_changed", "{}", Audience::role("admin")});
        bus.publish(Event{"status", R"({"queue":0})", Audience::everyone()});

        for (const Inbox* inbox : {&first, &second, &third}) {
            const auto events = inbox->events();
            CPPUNIT_ASSERT_EQUAL(std::size_t(3), events.size());
            CPPUNIT_ASSERT_EQUAL(std::string("download_progress"), events[0].type);
            CPPUNIT_ASSERT_EQUAL(std::string(R"({"job_id":"j1","progress":0.5})"),
                                 events[0].jsonData);
            CPPUNIT_ASSERT(events[0].audience.kind == Audience::Kind::User);
            CPPUNIT_ASSERT_EQUAL(std::string("42"), events[0].audience.value);
            CPPUNIT_ASSERT(events[1].audience.kind == Audience::Kind::Role);
            CPPUNIT_ASSERT_EQUAL(std::string("admin"), events[1].audience.value);
            CPPUNIT_ASSERT(events[2].audience.kind == Audience::Kind::Everyone);
            CPPUNIT_ASSERT_EQUAL(std::string("status"), events[2].type);
        }
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), bus.publishedCount());
    }

    void testThrowingSubscriberDoesNotStopOthers()
    {
        CapturedLog log("events");
        InProcessEventBus bus;
        Inbox before, after;
        bus.subscribe(before.subscriber());
        bus.subscribe([](const Event&) { throw std::runtime_error("subscriber broke"); });
        bus.subscribe([](const Event&) { throw 42; });
        bus.subscribe(after.subscriber());

        bus.publish(progressEvent("1"));
        bus.publish(progressEvent("2"));

        CPPUNIT_ASSERT_EQUAL(std::size_t(2), before.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), after.size());
        CPPUNIT_ASSERT_EQUAL(std::string("2"), after.events()[1].audience.value);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), bus.subscriberCount());
        const auto errors = log.errors();
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), errors.size());
        CPPUNIT_ASSERT(errors[0].find("subscriber broke") != std::string::npos);
        CPPUNIT_ASSERT(errors[0].find("download_progress") != std::string::npos);
        CPPUNIT_ASSERT(errors[1].find("unknown exception") != std::string::npos);
    }

    void testUnsubscribeStopsDelivery()
    {
        InProcessEventBus bus;
        Inbox kept, dropped;
        bus.subscribe(kept.subscriber());
        const auto id = bus.subscribe(dropped.subscriber());
        bus.publish(progressEvent("1"));
        bus.unsubscribe(id);
        bus.publish(progressEvent("2"));
        bus.unsubscribe(id);
        bus.unsubscribe(9999);
        bus.publish(progressEvent("3"));

        CPPUNIT_ASSERT_EQUAL(std::size_t(3), kept.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), dropped.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), bus.subscriberCount());
    }

    void testUnsubscribeDuringDelivery()
    {
        CapturedLog log("events");
        InProcessEventBus bus;
        Inbox second, third;
        int firstCalls = 0;
        EventBus::SubscriptionId firstId = 0;
        EventBus::SubscriptionId thirdId = 0;
        firstId = bus.subscribe([&](const Event&) {
            ++firstCalls;
            bus.unsubscribe(firstId);
            bus.unsubscribe(thirdId);
        });
        bus.subscribe(second.subscriber());
        thirdId = bus.subscribe(third.subscriber());

        bus.publish(progressEvent("1"));
        bus.publish(progressEvent("2"));

        CPPUNIT_ASSERT_EQUAL(1, firstCalls);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), second.size());
        // Removed while the event was being delivered, before its turn: not called any more.
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), third.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), bus.subscriberCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), log.errors().size());
    }

    void testSubscribeAndPublishFromSubscriber()
    {
        InProcessEventBus bus;
        Inbox late, all;
        bool subscribed = false;
        bus.subscribe([&](const Event& event) {
            if (event.type == "download_progress" && !subscribed) {
                subscribed = true;
                bus.subscribe(late.subscriber());
                bus.publish(Event{"download_done", "{}", event.audience});
            }
        });
        bus.subscribe(all.subscriber());

        bus.publish(progressEvent("7"));

        const auto events = all.events();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), events.size());
        CPPUNIT_ASSERT_EQUAL(std::string("download_done"), events[0].type);
        CPPUNIT_ASSERT_EQUAL(std::string("download_progress"), events[1].type);
        // Subscribed during the first delivery: gets the nested event, not the outer one.
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), late.size());
        CPPUNIT_ASSERT_EQUAL(std::string("download_done"), late.events()[0].type);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), bus.publishedCount());
    }

    void testUnsubscribeWaitsForRunningDelivery()
    {
        InProcessEventBus bus;
        Flag entered, release;
        std::atomic<int> calls{0};
        std::atomic<bool> finished{false};
        const auto id = bus.subscribe([&](const Event&) {
            ++calls;
            entered.raise();
            release.waitFor(5s);
            finished = true;
        });

        std::thread publisher([&] { bus.publish(progressEvent("1")); });
        CPPUNIT_ASSERT(entered.waitFor(5s));
        auto unsubscribed = std::async(std::launch::async, [&] { bus.unsubscribe(id); });
        const bool returnedEarly = unsubscribed.wait_for(100ms) == std::future_status::ready;
        release.raise();
        publisher.join();
        unsubscribed.get();

        CPPUNIT_ASSERT_MESSAGE("unsubscribe returned while the callback was running",
                               !returnedEarly);
        CPPUNIT_ASSERT(finished);
        bus.publish(progressEvent("2"));
        CPPUNIT_ASSERT_EQUAL(1, calls.load());
    }

    void testConcurrentPublishWithSubscribeAndUnsubscribe()
    {
        InProcessEventBus bus;
        std::atomic<std::uint64_t> permanent{0};
        std::atomic<std::uint64_t> lateDeliveries{0};
        bus.subscribe([&](const Event&) { ++permanent; });

        constexpr int publishers = 4;
        constexpr int eventsEach = 2000;
        Flag go;
        std::vector<std::thread> threads;
        for (int t = 0; t < publishers; ++t) {
            threads.emplace_back([&, t] {
                go.waitFor(5s);
                for (int i = 0; i < eventsEach; ++i) {
                    std::shared_ptr<std::atomic<bool>> gone;
                    EventBus::SubscriptionId temporary = 0;
                    if (i % 25 == 0) {
                        gone = std::make_shared<std::atomic<bool>>(false);
                        temporary = bus.subscribe([gone, &lateDeliveries](const Event&) {
                            if (*gone)
                                ++lateDeliveries;
                        });
                    }
                    bus.publish(Event{"tick", "{}", Audience::user(std::to_string(t))});
                    if (gone) {
                        bus.unsubscribe(temporary);
                        *gone = true;
                    }
                }
            });
        }
        go.raise();
        for (auto& thread : threads)
            thread.join();

        constexpr std::uint64_t total = std::uint64_t(publishers) * eventsEach;
        CPPUNIT_ASSERT_EQUAL(total, permanent.load());
        CPPUNIT_ASSERT_EQUAL(total, bus.publishedCount());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), lateDeliveries.load());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), bus.subscriberCount());
    }

    void testEmptySubscriberRefused()
    {
        InProcessEventBus bus;
        CPPUNIT_ASSERT_THROW(bus.subscribe(EventBus::Subscriber()), std::invalid_argument);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), bus.subscriberCount());
        bus.publish(progressEvent("1"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), bus.publishedCount());
    }

    void testAudienceUser()
    {
        const Audience audience = Audience::user("42");
        CPPUNIT_ASSERT(audience.includes(signedIn("42", "user")));
        CPPUNIT_ASSERT(audience.includes(signedIn("42", "admin")));
        CPPUNIT_ASSERT(!audience.includes(signedIn("43", "user")));
        CPPUNIT_ASSERT(!audience.includes(signedIn("4", "user")));
        Principal notSignedIn = signedIn("42", "user");
        notSignedIn.authenticated = false;
        CPPUNIT_ASSERT(!audience.includes(notSignedIn));
        CPPUNIT_ASSERT(!audience.includes(Principal::anonymous()));
        CPPUNIT_ASSERT(!Audience::user("").includes(Principal::anonymous()));
    }

    void testAudienceRole()
    {
        const Audience admins = Audience::role("admin");
        CPPUNIT_ASSERT(admins.includes(signedIn("1", "admin")));
        CPPUNIT_ASSERT(!admins.includes(signedIn("1", "owner")));
        CPPUNIT_ASSERT(!admins.includes(signedIn("1", "user")));
        CPPUNIT_ASSERT(!admins.includes(Principal::anonymous()));
        CPPUNIT_ASSERT(!Audience::role("guest").includes(Principal::anonymous())); // role events are for accounts
        Principal noRole = signedIn("1", "");
        CPPUNIT_ASSERT(!Audience::role("").includes(noRole));
    }

    void testAudienceEveryone()
    {
        const Audience everyone = Audience::everyone();
        CPPUNIT_ASSERT(everyone.includes(Principal::anonymous()));
        CPPUNIT_ASSERT(everyone.includes(signedIn("1", "user")));
        CPPUNIT_ASSERT(everyone.includes(signedIn("2", "owner")));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(InProcessEventBusTest);
