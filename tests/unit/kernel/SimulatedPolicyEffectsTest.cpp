#include "SimulatedPolicyEffects.h"

#include <Poco/JSON/Array.h>

#include <cppunit/extensions/HelperMacros.h>

#include <memory>

using comfygate::PolicyEffectError;
using comfygate::PolicyEffects;
using comfygate::SimulatedPolicyEffects;

class SimulatedPolicyEffectsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SimulatedPolicyEffectsTest);
    CPPUNIT_TEST(countersExpireOnTheSetClock);
    CPPUNIT_TEST(readsFallThroughButWritesStay);
    CPPUNIT_TEST(kvKeepsTheKeyCapPerUser);
    CPPUNIT_TEST(httpIsAnsweredFromTheLongestStub);
    CPPUNIT_TEST(recordsAndResets);
    CPPUNIT_TEST(unknownChannelsRefusedWhenAsked);
    CPPUNIT_TEST_SUITE_END();

public:
    void countersExpireOnTheSetClock()
    {
        SimulatedPolicyEffects effects;
        effects.setTime(1000);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), effects.counterIncrement("c", "k", 1, 60));
        effects.advance(30);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3), effects.counterIncrement("c", "k", 2, 60)); // keeps its expiry
        effects.advance(29);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3), effects.counterGet("c", "k"));
        effects.advance(1);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), effects.counterGet("c", "k"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(5), effects.counterIncrement("c", "k", 5, 60)); // a new window
        effects.counterReset("c", "k");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), effects.counterGet("c", "k"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1060), effects.now());
    }

    void readsFallThroughButWritesStay()
    {
        auto live = std::make_shared<SimulatedPolicyEffects>();
        live->setTime(5000);
        live->counterIncrement("quota", "gina", 7, 3600);
        live->kvSet("gina", "seen", "true");
        SimulatedPolicyEffects dry({}, live);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(5000), dry.now());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7), dry.counterGet("quota", "gina"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(8), dry.counterIncrement("quota", "gina", 1, 3600));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7), live->counterGet("quota", "gina"));
        dry.counterReset("quota", "gina");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), dry.counterGet("quota", "gina"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7), live->counterGet("quota", "gina"));

        CPPUNIT_ASSERT_EQUAL(std::string("true"), dry.kvGet("gina", "seen").value());
        dry.kvDelete("gina", "seen");
        CPPUNIT_ASSERT(!dry.kvGet("gina", "seen"));
        CPPUNIT_ASSERT(live->kvGet("gina", "seen"));

        const auto changes = dry.counterChanges();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), changes.size());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7), changes[0].before);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(8), changes[0].after);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), changes[1].after);
    }

    void kvKeepsTheKeyCapPerUser()
    {
        comfygate::PolicyEffectsSettings caps;
        caps.kvMaxKeysPerUser = 3;
        caps.kvMaxValueBytes = 10;
        SimulatedPolicyEffects effects(caps);
        CPPUNIT_ASSERT_THROW(effects.kvSet("ann", "big", "\"0123456789\""), PolicyEffectError);
        for (std::size_t i = 0; i < caps.kvMaxKeysPerUser; ++i)
            effects.kvSet("ann", "k" + std::to_string(i), "1");
        effects.kvSet("ann", "k0", "2"); // overwriting is not a new key
        CPPUNIT_ASSERT_THROW(effects.kvSet("ann", "one-more", "1"), PolicyEffectError);
        effects.kvSet("bob", "k0", "1");
        effects.kvDelete("ann", "k1");
        effects.kvSet("ann", "one-more", "1");
        CPPUNIT_ASSERT_EQUAL(std::string("2"), effects.kvGet("ann", "k0").value());
    }

    void httpIsAnsweredFromTheLongestStub()
    {
        SimulatedPolicyEffects effects;
        effects.stubHttp("https://a.example/", {200, "text/plain", "short"});
        effects.stubHttp("https://a.example/deep/", {503, "text/plain", "long"});
        PolicyEffects::HttpCall call;
        call.url = "https://a.example/deep/x";
        CPPUNIT_ASSERT_EQUAL(503, effects.http(call).status);
        call.url = "https://a.example/x";
        CPPUNIT_ASSERT_EQUAL(std::string("short"), effects.http(call).body);
        call.url = "https://b.example/";
        try {
            effects.http(call);
            CPPUNIT_FAIL("an unstubbed URL is an error");
        } catch (const PolicyEffectError& e) {
            CPPUNIT_ASSERT(std::string(e.what()).find("https://b.example/") != std::string::npos);
            CPPUNIT_ASSERT(std::string(e.what()).find("stub_http") != std::string::npos);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), effects.httpCalls().size());
    }

    void recordsAndResets()
    {
        SimulatedPolicyEffects effects;
        effects.setTime(42);
        effects.notify("ops", "hello", "{\"a\":1}");
        effects.tag("x.png", "alice", "output", {"nsfw"});
        effects.counterIncrement("c", "k", 1, 10);
        effects.stubHttp("https://a.example/", {200, "", ""});
        const auto record = effects.recordJson();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), record->getArray("notifications")->size());
        CPPUNIT_ASSERT_EQUAL(1, record->getArray("notifications")->getObject(0)->getObject("fields")->getValue<int>("a"));
        CPPUNIT_ASSERT_EQUAL(std::string("nsfw"), record->getArray("tags")->getObject(0)->getArray("tags")->getElement<std::string>(0));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), record->getArray("counters")->size());
        effects.reset();
        CPPUNIT_ASSERT(effects.notifications().empty() && effects.tags().empty() && effects.counterChanges().empty());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), effects.counterGet("c", "k"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(42), effects.now());
        PolicyEffects::HttpCall call;
        call.url = "https://a.example/";
        CPPUNIT_ASSERT_EQUAL(200, effects.http(call).status); // stubs survive a reset
    }

    void unknownChannelsRefusedWhenAsked()
    {
        comfygate::PolicyEffectsSettings caps;
        caps.channels["ops"].name = "ops";
        SimulatedPolicyEffects tests(caps);
        tests.notify("anything", "m", "{}");
        SimulatedPolicyEffects dryRun(caps);
        dryRun.refuseUnknownChannels();
        dryRun.notify("ops", "m", "{}");
        CPPUNIT_ASSERT_THROW(dryRun.notify("anything", "m", "{}"), PolicyEffectError);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), dryRun.notifications().size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SimulatedPolicyEffectsTest);
