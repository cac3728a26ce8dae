// The policy functions in the running server, over real HTTP: counters shared by two
// instances on one PostgreSQL, kv caps, counter expiry, notifications to webhook (signed,
// retried after a 500) and ntfy receivers, a hanging receiver that does not hold up requests,
// and policy.http refused outside the event hook and for hosts off the allow-list.
#include "HttpTestClient.h"
#include "PostgresCluster.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "TestHttpServer.h"
#include "TestPaths.h"

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <cppunit/extensions/HelperMacros.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <chrono>
#include <thread>

using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using comfygate::test::TestHttpRequest;
using comfygate::test::TestHttpServer;
using Settings = std::map<std::string, std::string>;

namespace {

// fixture_hook answers 403 with the script's reason, so each `value` is one small program.
const char* script = R"lua(
policy.on('fixture_hook', function(subject, request)
  local v = request.value
  if v == 'count' then
    local n = policy.counter('prompts', 'everyone'):incr(1, 3600)
    if n > 2 then return false, 'limit reached: ' .. n end
  elseif v == 'ttl' then
    return false, 'n=' .. policy.counter('short', 'k'):incr(1, 1)
  elseif v == 'kv' then
    for i = 1, 3 do
      local ok, err = pcall(policy.kv.set, 'ann', 'k' .. i, {i = i})
      if not ok then return false, err end
    end
  elseif v == 'kv-read' then
    return false, 'k1=' .. policy.kv.get('ann', 'k1').i .. ' k3=' .. tostring(policy.kv.get('ann', 'k3'))
  elseif v == 'notify' then
    policy.notify('ops', 'hello', {user = 'ann', n = 1})
  elseif v == 'notify-slow' then
    policy.notify('slow', 'are you there?')
  elseif v == 'ntfy' then
    policy.notify('phone', 'disk almost full', {title = 'Disk', tags = {'warning', 'floppy_disk'}, priority = 4})
  elseif v == 'tag' then
    local ok, err = pcall(policy.tag, {filename = 'a.png'}, {'nsfw'})
    return false, err
  elseif v == 'http' then
    local ok, err = pcall(policy.http, {url = policy.settings.classifier})
    return false, err
  elseif v == 'events' then
    return false, 'refused=' .. tostring(policy.kv.get('events', 'refused')) ..
                  ' label=' .. tostring(policy.kv.get('events', 'label'))
  end
end)

policy.on('event', function(subject, event)
  if event.type == 'classify' then
    local ok, err = pcall(policy.http, {url = 'http://not-allowed.invalid/classify'})
    policy.kv.set('events', 'refused', err)
    local answer = policy.http{url = policy.settings.classifier, json = {file = event.value}}
    policy.kv.set('events', 'label', answer.json.label)
  elseif event.type == 'tag' then
    policy.tag({filename = event.value, subfolder = '7'}, {'nsfw', 'reviewed'})
    local ok, err = pcall(policy.tag, {filename = '../escape.png'}, {'nsfw'})
    policy.kv.set('events', 'refused', err)
  end
end)
)lua";

std::string hmacHex(const std::string& key, const std::string& text)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(text.data()),
         text.size(), mac, &size);
    return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(mac, mac + size));
}

template <class Condition>
bool eventually(Condition condition)
{
    for (int i = 0; i < 200; ++i) {
        if (condition())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
}

std::unique_ptr<comfygate::test::PostgresCluster>& cluster()
{
    static std::unique_ptr<comfygate::test::PostgresCluster> instance;
    return instance;
}

} // namespace

class PolicyEffectsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PolicyEffectsTest);
    CPPUNIT_TEST(counterIsSharedByTwoInstancesOnPostgres);
    CPPUNIT_TEST(counterWindowExpires);
    CPPUNIT_TEST(kvKeyCountIsCapped);
    CPPUNIT_TEST(webhookIsSignedAndRetriedAfter500);
    CPPUNIT_TEST(hangingReceiverDoesNotHoldUpRequests);
    CPPUNIT_TEST(ntfyGetsHeadersAndToken);
    CPPUNIT_TEST(httpRefusedOutsideTheEventHook);
    CPPUNIT_TEST(httpInTheEventHookOnlyToAllowedHosts);
    CPPUNIT_TEST(tagInTheEventHookReachesTheTagStore);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _receiver = std::make_unique<TestHttpServer>();
        _scripts.write("effects.lua", script);
    }

    void tearDown() override
    {
        _servers.clear();
        _receiver.reset();
    }

    void counterIsSharedByTwoInstancesOnPostgres()
    {
        if (!cluster()) {
            if (comfygate::test::PostgresCluster::binDir().empty())
                throw std::runtime_error("PostgreSQL binaries (initdb, pg_ctl) not found: install postgresql");
            cluster() = std::make_unique<comfygate::test::PostgresCluster>();
        }
        cluster()->createDatabase("effects");
        const auto database = cluster()->gatewaySettings("effects");
        auto& first = start(database);
        auto& second = start(database);
        HttpTestClient a(first.port()), b(second.port());
        CPPUNIT_ASSERT_EQUAL(200, a.get("/fixture/hooked?value=count").status);
        CPPUNIT_ASSERT_EQUAL(200, b.get("/fixture/hooked?value=count").status);
        const auto third = a.get("/fixture/hooked?value=count");
        CPPUNIT_ASSERT_EQUAL(403, third.status);
        CPPUNIT_ASSERT_EQUAL(std::string("limit reached: 3"), reason(third));
        CPPUNIT_ASSERT_EQUAL(std::string("limit reached: 4"), reason(b.get("/fixture/hooked?value=count")));
    }

    void counterWindowExpires()
    {
        HttpTestClient client(start().port());
        CPPUNIT_ASSERT_EQUAL(std::string("n=1"), reason(client.get("/fixture/hooked?value=ttl")));
        // The one-second window ends and the next increment starts a new one.
        CPPUNIT_ASSERT(eventually([&] { return reason(client.get("/fixture/hooked?value=ttl")) == "n=1"; }));
    }

    void kvKeyCountIsCapped()
    {
        HttpTestClient client(start({{"policy.kv.max_keys_per_user", "2"}}).port());
        const auto capped = client.get("/fixture/hooked?value=kv");
        CPPUNIT_ASSERT_EQUAL(403, capped.status);
        CPPUNIT_ASSERT_MESSAGE(reason(capped),
                               reason(capped).find("policy.kv.set: user 'ann' already has 2 keys "
                                                   "(policy.kv.max_keys_per_user)") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("k1=1 k3=nil"), reason(client.get("/fixture/hooked?value=kv-read")));
    }

    void webhookIsSignedAndRetriedAfter500()
    {
        std::atomic<int> calls{0};
        _receiver->on("POST", "/hook", [&](const TestHttpRequest&, Poco::Net::HTTPServerResponse& response) {
            response.setStatus(++calls == 1 ? Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR
                                            : Poco::Net::HTTPResponse::HTTP_OK);
            response.send() << "ok";
        });
        auto& server = start({{"policy.channels.ops.url", _receiver->url("/hook")},
                              {"policy.channels.ops.secret", "s3cret"},
                              {"policy.notify.retry_base_ms", "50"}});
        HttpTestClient client(server.port());
        CPPUNIT_ASSERT_EQUAL(200, client.get("/fixture/hooked?value=notify").status);
        CPPUNIT_ASSERT(eventually([&] { return server.metric("comfygate_policy_notifications_sent") == 1.0; }));
        const auto requests = _receiver->requests("/hook");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), requests.size());
        for (const auto& request : requests) {
            const std::string timestamp = request.header("X-Comfygate-Timestamp").value_or("");
            CPPUNIT_ASSERT_EQUAL("sha256=" + hmacHex("s3cret", timestamp + "." + request.body),
                                 request.header("X-Comfygate-Signature").value_or(""));
            CPPUNIT_ASSERT_EQUAL(std::string("application/json"), request.header("Content-Type").value_or(""));
            const auto body = Poco::JSON::Parser().parse(request.body).extract<Poco::JSON::Object::Ptr>();
            CPPUNIT_ASSERT_EQUAL(std::string("ops"), body->getValue<std::string>("channel"));
            CPPUNIT_ASSERT_EQUAL(std::string("hello"), body->getValue<std::string>("message"));
            CPPUNIT_ASSERT_EQUAL(std::string("ann"), body->getObject("fields")->getValue<std::string>("user"));
            CPPUNIT_ASSERT_EQUAL(timestamp, std::to_string(body->getValue<Poco::Int64>("sent_at")));
            CPPUNIT_ASSERT(body->has("id"));
        }
        CPPUNIT_ASSERT_EQUAL(0.0, server.metric("comfygate_policy_notifications_queued").value_or(-1));
        CPPUNIT_ASSERT_EQUAL(0.0, server.metric("comfygate_policy_notifications_failed").value_or(-1));
    }

    void hangingReceiverDoesNotHoldUpRequests()
    {
        std::atomic<bool> holding{false};
        std::atomic<bool> released{false};
        _receiver->on("POST", "/slow", [&](const TestHttpRequest&, Poco::Net::HTTPServerResponse& response) {
            holding = true;
            while (!released && _receiver->sleepUnlessStopping(std::chrono::milliseconds(10))) {
            }
            response.send() << "late";
        });
        auto& server = start({{"policy.channels.slow.url", _receiver->url("/slow")}});
        HttpTestClient client(server.port());
        CPPUNIT_ASSERT_EQUAL(200, client.get("/fixture/hooked?value=notify-slow").status);
        CPPUNIT_ASSERT(eventually([&] { return holding.load(); }));
        // The receiver holds the first notification's connection; the next one is queued and
        // the request answered all the same.
        CPPUNIT_ASSERT_EQUAL(200, client.get("/fixture/hooked?value=notify-slow").status);
        CPPUNIT_ASSERT(!released.load());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _receiver->requests("/slow").size());
        released = true;
        CPPUNIT_ASSERT(eventually([&] { return server.metric("comfygate_policy_notifications_sent") == 2.0; }));
    }

    void ntfyGetsHeadersAndToken()
    {
        _receiver->on("POST", "/topic", [](const TestHttpRequest&, Poco::Net::HTTPServerResponse& response) {
            response.send() << "{}";
        });
        auto& server = start({{"policy.channels.phone.type", "ntfy"},
                              {"policy.channels.phone.url", _receiver->url("/topic")},
                              {"policy.channels.phone.token", "tk_123"}});
        HttpTestClient client(server.port());
        CPPUNIT_ASSERT_EQUAL(200, client.get("/fixture/hooked?value=ntfy").status);
        CPPUNIT_ASSERT(eventually([&] { return _receiver->requests("/topic").size() == 1; }));
        const auto request = _receiver->requests("/topic").at(0);
        CPPUNIT_ASSERT_EQUAL(std::string("disk almost full"), request.body);
        CPPUNIT_ASSERT_EQUAL(std::string("Disk"), request.header("Title").value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::string("warning,floppy_disk"), request.header("Tags").value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::string("4"), request.header("Priority").value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer tk_123"), request.header("Authorization").value_or(""));
    }

    void httpRefusedOutsideTheEventHook()
    {
        HttpTestClient client(start({{"policy.http.allow_hosts", "127.0.0.1"},
                                     {"policy.settings.classifier", _receiver->url("/classify")}})
                                  .port());
        const auto refused = client.get("/fixture/hooked?value=http");
        CPPUNIT_ASSERT_EQUAL(403, refused.status);
        CPPUNIT_ASSERT_MESSAGE(reason(refused),
                               reason(refused).find("policy.http is only available in the event hook, which runs "
                                                    "after the fact") != std::string::npos);
        CPPUNIT_ASSERT(_receiver->requests().empty());
    }

    void httpInTheEventHookOnlyToAllowedHosts()
    {
        _receiver->on("POST", "/classify", [](const TestHttpRequest&, Poco::Net::HTTPServerResponse& response) {
            response.setContentType("application/json");
            response.send() << R"({"label":"safe"})";
        });
        HttpTestClient client(start({{"policy.http.allow_hosts", "127.0.0.1"},
                                     {"policy.settings.classifier", _receiver->url("/classify")}})
                                  .port());
        CPPUNIT_ASSERT_EQUAL(202, client.request("POST", "/fixture/raise?event=classify&value=a.png").status);
        CPPUNIT_ASSERT(eventually([&] {
            return reason(client.get("/fixture/hooked?value=events")).find("label=safe") != std::string::npos;
        }));
        const std::string seen = reason(client.get("/fixture/hooked?value=events"));
        CPPUNIT_ASSERT_MESSAGE(seen, seen.find("policy.http: host 'not-allowed.invalid' is not allowed; add it to "
                                               "policy.http.allow_hosts") != std::string::npos);
        const auto requests = _receiver->requests("/classify");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), requests.size());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"file":"a.png"})"), requests[0].body);
    }

    void tagInTheEventHookReachesTheTagStore()
    {
        HttpTestClient client(start({{"modules.enabled", "fixture,fixture_auth,fixture_tags"}}).port());
        CPPUNIT_ASSERT_MESSAGE(reason(client.get("/fixture/hooked?value=tag")),
                               reason(client.get("/fixture/hooked?value=tag"))
                                       .find("policy.tag is only available in the event hook") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(202, client.request("POST", "/fixture/raise?event=tag&value=ComfyUI_00001_.png").status);
        // The handler records the refusal last, so once it is there the tags are too.
        CPPUNIT_ASSERT(eventually([&] { return reason(client.get("/fixture/hooked?value=events")) != "refused=nil label=nil"; }));
        CPPUNIT_ASSERT_EQUAL(std::string("refused=policy.tag: unsafe file name '../escape.png' label=nil"),
                             reason(client.get("/fixture/hooked?value=events")));
        const auto tags = client.get("/fixture/tags").json()->getArray("tags");
        CPPUNIT_ASSERT_EQUAL(std::string("output/7/ComfyUI_00001_.png:nsfw"), tags->getElement<std::string>(0));
        CPPUNIT_ASSERT_EQUAL(std::string("output/7/ComfyUI_00001_.png:reviewed"), tags->getElement<std::string>(1));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), tags->size());
    }

private:
    ServerProcess& start(const Settings& extra = {})
    {
        Settings settings{{"modules.dir", COMFYGATE_TEST_MODULE_DIR},
                          {"modules.enabled", "fixture,fixture_auth"},
                          {"policy.dir", _scripts.path()},
                          {"policy.watch_seconds", "0"},
                          {"policy.notify.interval_ms", "100"}};
        for (const auto& [key, value] : extra)
            settings[key] = value;
        _servers.push_back(std::make_unique<ServerProcess>(settings));
        _servers.back()->start();
        return *_servers.back();
    }

    static std::string reason(const comfygate::test::HttpResult& result)
    {
        if (result.status != 403)
            return "HTTP " + std::to_string(result.status);
        return result.json()->getValue<std::string>("error");
    }

    comfygate::test::TempDir _scripts;
    std::unique_ptr<TestHttpServer> _receiver;
    std::vector<std::unique_ptr<ServerProcess>> _servers;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicyEffectsTest);
