// The server's policy effects on a real database (SQLite; the same checks on PostgreSQL when
// its binaries are installed): atomic counters under threads, expiry and the sweeper on a
// settable clock, kv caps, the notification outbox's delivery, retry and giving up (webhook
// to a TestHttpServer), the policy.http allow-list, and tags through the service registry.
#include "KernelSchema.h"
#include "CurlHttpClient.h"
#include "LivePolicyEffects.h"
#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "ServiceTable.h"
#include "TempDir.h"
#include "TestHttpServer.h"

#include "comfygate/services/OutputTags.h"

#include <Poco/Net/HTTPServerResponse.h>

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <iostream>
#include <set>
#include <thread>

using comfygate::Database;
using comfygate::DatabaseSettings;
using comfygate::LivePolicyEffects;
using comfygate::PolicyEffectError;
using comfygate::PolicyEffectsSettings;
using comfygate::PooledDatabase;
using comfygate::test::TestHttpRequest;
using comfygate::test::TestHttpServer;

namespace {

class RecordingOutputTags : public comfygate::services::OutputTags
{
public:
    void tag(const std::string& filename, const std::string&, const std::string&,
             const std::vector<std::string>& tags) override
    {
        if (filename.find('/') != std::string::npos)
            throw std::invalid_argument("unsafe file name");
        tagged.push_back(filename + ":" + tags.at(0));
    }
    std::vector<std::string> tagged;
};

} // namespace

class LivePolicyEffectsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(LivePolicyEffectsTest);
    CPPUNIT_TEST(countersAreAtomicUnderThreads);
    CPPUNIT_TEST(countersExpireAndAreSwept);
    CPPUNIT_TEST(kvIsCapped);
    CPPUNIT_TEST(notifyRefusesUnknownChannels);
    CPPUNIT_TEST(outboxRetriesThenDelivers);
    CPPUNIT_TEST(outboxGivesUp);
    CPPUNIT_TEST(httpOnlyToAllowedHosts);
    CPPUNIT_TEST(tagNeedsTheService);
    CPPUNIT_TEST(postgresCountersAndKv);
    CPPUNIT_TEST(postgresOutboxSendsEachOnceFromTwoInstances);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = std::make_unique<comfygate::test::TempDir>();
        DatabaseSettings settings;
        settings.sqlitePath = _dir->file("effects.db");
        settings.maxSessions = 8;
        _db = std::make_unique<PooledDatabase>(settings);
        _db->open();
        _db->migrate(comfygate::kernelSchemaOwner, comfygate::kernelSchema());
        _settings.kvMaxValueBytes = 32;
        _settings.kvMaxKeysPerUser = 2;
        _settings.notifyRetryBase = std::chrono::milliseconds(1000);
        _settings.notifyMaxAttempts = 3;
        _settings.channels["audit"] = {"audit", "log", "", "", ""};
    }

    void tearDown() override
    {
        _effects.reset();
        _postgres.reset();
        _db.reset();
        _dir.reset();
    }

    void countersAreAtomicUnderThreads() { assertAtomicCounters(*_db); }

    void countersExpireAndAreSwept()
    {
        auto& effects = make();
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2), effects.counterIncrement("c", "k", 2, 10));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), effects.counterIncrement("c", "other", 1, 100));
        _clockMs += 9000;
        CPPUNIT_ASSERT_EQUAL(std::int64_t(5), effects.counterIncrement("c", "k", 3, 10)); // keeps its expiry
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), effects.sweepExpiredCounters());
        _clockMs += 1000;
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), effects.counterGet("c", "k"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), effects.sweepExpiredCounters());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), effects.counterGet("c", "other"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(4), effects.counterIncrement("c", "k", 4, 10)); // a new window
        effects.counterReset("c", "k");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), effects.counterGet("c", "k"));
    }

    void kvIsCapped() { assertKvCaps(make()); }

    void notifyRefusesUnknownChannels()
    {
        auto& effects = make();
        try {
            effects.notify("ops", "hi", "{}");
            CPPUNIT_FAIL("an unknown channel was accepted");
        } catch (const PolicyEffectError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("policy.notify: no channel 'ops'; configure policy.channels.ops.url (and .type)"),
                                 std::string(e.what()));
        }
        effects.notify("audit", "logged", R"({"a":1})");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), effects.outbox().pendingCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), effects.outbox().deliverDue());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), effects.outbox().pendingCount());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), effects.outbox().sentCount());
    }

    void outboxRetriesThenDelivers()
    {
        TestHttpServer receiver;
        std::atomic<int> calls{0};
        receiver.on("POST", "/hook", [&](const TestHttpRequest&, Poco::Net::HTTPServerResponse& response) {
            response.setStatus(++calls == 1 ? Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR
                                            : Poco::Net::HTTPResponse::HTTP_OK);
            response.send() << "{}";
        });
        _settings.channels["ops"] = {"ops", "webhook", receiver.url("/hook"), "", ""};
        auto& effects = make();
        effects.notify("ops", "first", "{}");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), effects.outbox().deliverDue());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), effects.outbox().sentCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), effects.outbox().deliverDue()); // not due before the backoff
        _clockMs += 1000;
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), effects.outbox().deliverDue());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), effects.outbox().sentCount());
        CPPUNIT_ASSERT_EQUAL(2, calls.load());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), effects.outbox().pendingCount());
    }

    void outboxGivesUp()
    {
        TestHttpServer receiver;
        receiver.on("POST", "/hook", [&](const TestHttpRequest&, Poco::Net::HTTPServerResponse& response) {
            response.setStatus(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
            response.send() << "down";
        });
        _settings.channels["ops"] = {"ops", "webhook", receiver.url("/hook"), "", ""};
        auto& effects = make();
        effects.notify("ops", "doomed", "{}");
        for (int attempt = 0; attempt < 3; ++attempt) {
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), effects.outbox().deliverDue());
            _clockMs += 10000;
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), effects.outbox().deliverDue());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), effects.outbox().failedCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), receiver.requests("/hook").size());
        const auto rows = _db->select("SELECT state, attempts, last_error FROM policy_outbox", {});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rows.size());
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), rows[0][0].convert<std::string>());
        CPPUNIT_ASSERT_EQUAL(std::string("webhook answered HTTP 503"), rows[0][2].convert<std::string>());
    }

    void httpOnlyToAllowedHosts()
    {
        TestHttpServer classifier;
        classifier.on("POST", "/classify", [](const TestHttpRequest& request, Poco::Net::HTTPServerResponse& response) {
            response.setContentType("application/json");
            response.send() << R"({"echo":)" << request.body << "}";
        });
        _settings.httpAllowHosts = {"127.0.0.1"};
        auto& effects = make();
        comfygate::PolicyEffects::HttpCall call;
        call.method = "POST";
        call.url = classifier.url("/classify");
        call.body = "1";
        const auto answer = effects.http(call);
        CPPUNIT_ASSERT_EQUAL(200, answer.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"echo":1})"), answer.body);
        CPPUNIT_ASSERT_EQUAL(std::string("application/json"), answer.contentType);

        call.url = "http://localhost:" + std::to_string(classifier.port()) + "/classify";
        assertRefused([&] { effects.http(call); },
                      "policy.http: host 'localhost' is not allowed; add it to policy.http.allow_hosts");
        call.url = "file:///etc/passwd";
        assertRefused([&] { effects.http(call); }, "policy.http: only http:// and https:// URLs are allowed");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), classifier.requests().size());
    }

    void tagNeedsTheService()
    {
        auto& effects = make();
        assertRefused([&] { effects.tag("a.png", "", "output", {"nsfw"}); },
                      "policy.tag: no output tag store; the comfy-proxy module publishes comfy.output_tags");
        auto tags = std::make_shared<RecordingOutputTags>();
        _services.publish<comfygate::services::OutputTags>(comfygate::services::OutputTags::serviceName, tags);
        effects.tag("a.png", "", "output", {"nsfw"});
        CPPUNIT_ASSERT_EQUAL(std::string("a.png:nsfw"), tags->tagged.at(0));
        assertRefused([&] { effects.tag("../a.png", "", "output", {"nsfw"}); }, "policy.tag: unsafe file name");
    }

    void postgresCountersAndKv()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: postgresCountersAndKv: PostgreSQL binaries not found; set COMFYGATE_PG_BINDIR\n";
            return;
        }
        PooledDatabase& db = postgres("counters");
        assertAtomicCounters(db);
        LivePolicyEffects effects(db, _client, _services, _settings, [this] { return _clockMs.load(); });
        assertKvCaps(effects);
        effects.notify("audit", "logged", "{}");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), effects.outbox().deliverDue());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), effects.outbox().pendingCount());
    }

    // Four senders (four instances) drain one outbox at once: every notification arrives once.
    void postgresOutboxSendsEachOnceFromTwoInstances()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: postgresOutboxSendsEachOnceFromTwoInstances: PostgreSQL binaries not found\n";
            return;
        }
        PooledDatabase& db = postgres("outbox");
        TestHttpServer receiver;
        receiver.on("POST", "/hook", [](const TestHttpRequest&, Poco::Net::HTTPServerResponse& response) {
            response.send() << "ok";
        });
        _settings.channels["ops"] = {"ops", "webhook", receiver.url("/hook"), "", ""};
        std::vector<std::unique_ptr<LivePolicyEffects>> instances;
        for (int i = 0; i < 4; ++i)
            instances.push_back(std::make_unique<LivePolicyEffects>(db, _client, _services, _settings,
                                                                    [this] { return _clockMs.load(); }));
        constexpr int count = 200;
        for (int i = 0; i < count; ++i)
            instances[i % 4]->notify("ops", "n" + std::to_string(i), "{}");
        std::atomic<int> ready{0};
        std::vector<std::thread> senders;
        for (auto& instance : instances) {
            senders.emplace_back([&ready, &instance] {
                ++ready;
                while (ready < 4) {
                }
                instance->outbox().deliverDue();
            });
        }
        for (auto& sender : senders)
            sender.join();
        std::set<std::string> messages;
        std::uint64_t sent = 0;
        for (const auto& request : receiver.requests("/hook"))
            messages.insert(request.body.substr(request.body.find("\"message\"")));
        for (auto& instance : instances)
            sent += instance->outbox().sentCount();
        CPPUNIT_ASSERT_EQUAL(std::size_t(count), receiver.requests("/hook").size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(count), messages.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(count), sent);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), instances[0]->outbox().pendingCount());
    }

private:
    // A database of its own on the suite's one PostgreSQL cluster, migrated.
    PooledDatabase& postgres(const std::string& name)
    {
        static std::unique_ptr<comfygate::test::PostgresCluster> cluster;
        if (!cluster)
            cluster = std::make_unique<comfygate::test::PostgresCluster>();
        cluster->createDatabase(name);
        DatabaseSettings settings;
        settings.backend = Database::Backend::PostgreSQL;
        settings.postgresConnection = cluster->connectionString(name);
        settings.maxSessions = 8;
        _postgres = std::make_unique<PooledDatabase>(settings);
        _postgres->open();
        _postgres->migrate(comfygate::kernelSchemaOwner, comfygate::kernelSchema());
        return *_postgres;
    }

    LivePolicyEffects& make()
    {
        _effects = std::make_unique<LivePolicyEffects>(*_db, _client, _services, _settings,
                                                       [this] { return _clockMs.load(); });
        return *_effects;
    }

    void assertAtomicCounters(Database& db)
    {
        LivePolicyEffects effects(db, _client, _services, _settings, [this] { return _clockMs.load(); });
        constexpr int threads = 6;
        constexpr int perThread = 40;
        std::mutex mutex;
        std::set<std::int64_t> seen;
        std::vector<std::string> errors;
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&] {
                for (int i = 0; i < perThread; ++i) {
                    try {
                        const auto value = effects.counterIncrement("prompts", "ann", 1, 3600);
                        std::lock_guard lock(mutex);
                        seen.insert(value);
                    } catch (const std::exception& e) {
                        std::lock_guard lock(mutex);
                        errors.push_back(e.what());
                    }
                }
            });
        }
        for (auto& worker : workers)
            worker.join();
        CPPUNIT_ASSERT_MESSAGE(errors.empty() ? "" : errors.front(), errors.empty());
        // Every increment saw a value of its own: none was lost or counted twice.
        CPPUNIT_ASSERT_EQUAL(std::size_t(threads * perThread), seen.size());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(threads * perThread), *seen.rbegin());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(threads * perThread), effects.counterGet("prompts", "ann"));
    }

    void assertKvCaps(LivePolicyEffects& effects)
    {
        effects.kvSet("ann", "a", "1");
        effects.kvSet("ann", "b", R"("two")");
        effects.kvSet("bob", "a", "3"); // another user's keys do not count
        assertRefused([&] { effects.kvSet("ann", "c", "3"); },
                      "policy.kv.set: user 'ann' already has 2 keys (policy.kv.max_keys_per_user)");
        effects.kvSet("ann", "b", "[1,2]"); // replacing is fine at the cap
        CPPUNIT_ASSERT_EQUAL(std::string("[1,2]"), effects.kvGet("ann", "b").value());
        assertRefused([&] { effects.kvSet("ann", "b", std::string(33, '1')); },
                      "policy.kv.set: the value is 33 bytes as JSON; the limit is 32 (policy.kv.max_value_bytes)");
        effects.kvDelete("ann", "a");
        CPPUNIT_ASSERT(!effects.kvGet("ann", "a"));
        effects.kvSet("ann", "c", "true");
        CPPUNIT_ASSERT_EQUAL(std::string("true"), effects.kvGet("ann", "c").value());
    }

    template <class Call>
    void assertRefused(Call&& call, const std::string& expected)
    {
        try {
            call();
        } catch (const PolicyEffectError& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find(expected) == 0);
            return;
        }
        CPPUNIT_FAIL("not refused: " + expected);
    }

    std::unique_ptr<comfygate::test::TempDir> _dir;
    std::unique_ptr<PooledDatabase> _db;
    comfygate::CurlHttpClient _client;
    comfygate::ServiceTable _services;
    PolicyEffectsSettings _settings;
    std::atomic<std::int64_t> _clockMs{1'700'000'000'000};
    std::unique_ptr<LivePolicyEffects> _effects;
    std::unique_ptr<PooledDatabase> _postgres;
};

CPPUNIT_TEST_SUITE_REGISTRATION(LivePolicyEffectsTest);
