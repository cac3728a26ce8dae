// ClusterEventBus without a database: what travels between instances (the notification
// payload of an event, and back) and that local subscribers get a published event at once.
// Delivery across instances over a real PostgreSQL is tested in SharedDatabaseDownloadTest.
#include "ClusterEventBus.h"
#include "comfygate/Principal.h"

#include <cppunit/extensions/HelperMacros.h>

#include <vector>

using comfygate::Audience;
using comfygate::ClusterEventBus;
using comfygate::Event;
using comfygate::InProcessEventBus;

class ClusterEventBusTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ClusterEventBusTest);
    CPPUNIT_TEST(eventsSurviveTheirPayload);
    CPPUNIT_TEST(foreignPayloadsAreNoEvents);
    CPPUNIT_TEST(localSubscribersGetEventsAtOnce);
    CPPUNIT_TEST_SUITE_END();

public:
    void eventsSurviveTheirPayload()
    {
        for (const Event& event : {Event{"download_progress", R"({"job_id":"j1","bytes_done":5})", Audience::user("u-1")},
                                   Event{"status", R"({"text":"quote \" and é"})", Audience::role("admin")},
                                   Event{"hello", "{}", Audience::everyone()}}) {
            const auto back = ClusterEventBus::decode(ClusterEventBus::encode(event));
            CPPUNIT_ASSERT(back);
            CPPUNIT_ASSERT_EQUAL(event.type, back->type);
            CPPUNIT_ASSERT_EQUAL(event.jsonData, back->jsonData);
            CPPUNIT_ASSERT(event.audience.kind == back->audience.kind);
            CPPUNIT_ASSERT_EQUAL(event.audience.value, back->audience.value);
        }
    }

    void foreignPayloadsAreNoEvents()
    {
        for (const char* payload : {"", "not json", "[]", R"({"type":"x"})", R"({"type":"x","data":"{}","audience":"moon"})"})
            CPPUNIT_ASSERT_MESSAGE(payload, !ClusterEventBus::decode(payload));
    }

    void localSubscribersGetEventsAtOnce()
    {
        InProcessEventBus local;
        ClusterEventBus bus(local, "host=/nonexistent dbname=none connect_timeout=1"); // never started
        std::vector<std::string> seen;
        const auto id = bus.subscribe([&](const Event& event) { seen.push_back(event.type); });
        bus.publish(Event{"one", "{}", Audience::everyone()});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), seen.size());
        bus.unsubscribe(id);
        bus.publish(Event{"two", "{}", Audience::everyone()});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), seen.size());
        // Queued for the other instances until the connection opens.
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), bus.notifications().sentCount());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ClusterEventBusTest);
