// POST /mss-login/api/admin/policies/dry-run and GET /mss-login/api/admin/policies in the
// running server: allow, deny, modify and a failing handler decided by the active
// generation; bad input answered 400 in MSS-Login's error shape; admins only.
#include "HttpTestClient.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>

#include <memory>

using comfygate::test::HttpResult;
using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;

namespace {

const char* fixtureScript = "policy.on('fixture_hook', function(subject, request)\n"
                            "  if request.value == 'bad' then return false, 'bad values are refused' end\n"
                            "  if request.value == 'old' then request.value = 'new'; return request end\n"
                            "  if request.value == 'broken' then return request.missing.field end\n"
                            "  if request.value == 'quota' then\n"
                            "    local used = policy.counter('fixture_quota', 'shared'):incr(1, 3600)\n"
                            "    if used > 2 then return false, 'quota of 2 used up' end\n"
                            "  end\n"
                            "  if request.value == 'notify' then policy.notify(request.channel, 'hello', {a = 1}) end\n"
                            "  if request.value == 'admin only' and subject.role ~= 'admin' then\n"
                            "    return false, 'admins only'\n"
                            "  end\n"
                            "end)\n";

const std::map<std::string, std::string> admin{{"Authorization", "Bearer fixture:ada:admin"}};
const std::string dryRunPath = "/mss-login/api/admin/policies/dry-run";

} // namespace

class PolicyDryRunTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PolicyDryRunTest);
    CPPUNIT_TEST(allowDenyAndModify);
    CPPUNIT_TEST(failingHandlerAppliesTheFailMode);
    CPPUNIT_TEST(subjectComesFromTheBody);
    CPPUNIT_TEST(countersReadLiveButWritesStaySimulated);
    CPPUNIT_TEST(notificationsAreListedNotSent);
    CPPUNIT_TEST(badInputIsRefused);
    CPPUNIT_TEST(adminsOnly);
    CPPUNIT_TEST(listsHooksAndTheLastReload);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _scripts.write("fixture.lua", fixtureScript);
        _server = std::make_unique<ServerProcess>(std::map<std::string, std::string>{
            {"modules.dir", COMFYGATE_TEST_MODULE_DIR},
            {"modules.enabled", "fixture,fixture_auth"},
            {"policy.dir", _scripts.path()},
            {"policy.channels.ops.type", "log"}});
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
    }

    void tearDown() override
    {
        _client.reset();
        _server.reset();
    }

    void allowDenyAndModify()
    {
        auto allowed = dryRun(R"({"hook":"fixture_hook","request":{"value":"ok"}})");
        CPPUNIT_ASSERT_EQUAL(std::string("allow"), allowed->getValue<std::string>("decision"));
        CPPUNIT_ASSERT(!allowed->getValue<bool>("failed"));
        CPPUNIT_ASSERT(!allowed->has("request"));
        CPPUNIT_ASSERT(allowed->getValue<double>("duration_ms") >= 0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), allowed->getArray("notifications")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), allowed->getArray("counters")->size());

        auto denied = dryRun(R"({"hook":"fixture_hook","request":{"value":"bad"}})");
        CPPUNIT_ASSERT_EQUAL(std::string("deny"), denied->getValue<std::string>("decision"));
        CPPUNIT_ASSERT_EQUAL(std::string("bad values are refused"), denied->getValue<std::string>("reason"));

        auto modified = dryRun(R"({"hook":"fixture_hook","request":{"value":"old"}})");
        CPPUNIT_ASSERT_EQUAL(std::string("modify"), modified->getValue<std::string>("decision"));
        CPPUNIT_ASSERT_EQUAL(std::string("new"), modified->getObject("request")->getValue<std::string>("value"));

        // The /api twin answers the same.
        auto twin = _client->postJson("/api" + dryRunPath, R"({"hook":"fixture_hook","request":{"value":"bad"}})", admin);
        CPPUNIT_ASSERT_EQUAL(200, twin.status);
    }

    void failingHandlerAppliesTheFailMode()
    {
        auto failed = dryRun(R"({"hook":"fixture_hook","request":{"value":"broken"}})");
        CPPUNIT_ASSERT(failed->getValue<bool>("failed"));
        CPPUNIT_ASSERT_EQUAL(std::string("closed"), failed->getValue<std::string>("fail_mode"));
        CPPUNIT_ASSERT_EQUAL(std::string("deny"), failed->getValue<std::string>("decision"));
        CPPUNIT_ASSERT_EQUAL(std::string("policy error"), failed->getValue<std::string>("reason"));
        const auto error = failed->getValue<std::string>("error");
        CPPUNIT_ASSERT_MESSAGE(error, error.find("fixture.lua:4:") == 0);
    }

    void subjectComesFromTheBody()
    {
        auto user = dryRun(R"({"hook":"fixture_hook","subject":{"role":"user"},"request":{"value":"admin only"}})");
        CPPUNIT_ASSERT_EQUAL(std::string("deny"), user->getValue<std::string>("decision"));
        auto boss = dryRun(R"({"hook":"fixture_hook","subject":{"role":"admin"},"request":{"value":"admin only"}})");
        CPPUNIT_ASSERT_EQUAL(std::string("allow"), boss->getValue<std::string>("decision"));
        // Without subject and request the hook's examples ({} here) are used.
        auto defaults = dryRun(R"({"hook":"fixture_hook"})");
        CPPUNIT_ASSERT_EQUAL(std::string("allow"), defaults->getValue<std::string>("decision"));
    }

    void countersReadLiveButWritesStaySimulated()
    {
        const std::string quota = R"({"hook":"fixture_hook","request":{"value":"quota"}})";
        for (int i = 0; i < 3; ++i)
            expectCounter(dryRun(quota), 0, 1, "allow");
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/fixture/hooked?value=quota").status); // live: 1
        expectCounter(dryRun(quota), 1, 2, "allow");
        expectCounter(dryRun(quota), 1, 2, "allow");
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/fixture/hooked?value=quota").status); // live: 2
        auto full = dryRun(quota);
        expectCounter(full, 2, 3, "deny");
        CPPUNIT_ASSERT_EQUAL(std::string("quota of 2 used up"), full->getValue<std::string>("reason"));
        // Five dry runs later the live quota has counted only the two live calls.
        const auto third = _client->get("/fixture/hooked?value=quota");
        CPPUNIT_ASSERT_EQUAL(403, third.status);
        CPPUNIT_ASSERT_EQUAL(std::string("quota of 2 used up"), third.json()->getValue<std::string>("error"));
    }

    void notificationsAreListedNotSent()
    {
        auto sent = dryRun(R"({"hook":"fixture_hook","request":{"value":"notify","channel":"ops"}})");
        CPPUNIT_ASSERT_EQUAL(std::string("allow"), sent->getValue<std::string>("decision"));
        auto notifications = sent->getArray("notifications");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), notifications->size());
        CPPUNIT_ASSERT_EQUAL(std::string("ops"), notifications->getObject(0)->getValue<std::string>("channel"));
        CPPUNIT_ASSERT_EQUAL(std::string("hello"), notifications->getObject(0)->getValue<std::string>("message"));
        CPPUNIT_ASSERT_EQUAL(1, notifications->getObject(0)->getObject("fields")->getValue<int>("a"));

        // A channel the server does not have fails as it would live (fail closed here).
        auto unknown = dryRun(R"({"hook":"fixture_hook","request":{"value":"notify","channel":"nowhere"}})");
        CPPUNIT_ASSERT(unknown->getValue<bool>("failed"));
        const auto error = unknown->getValue<std::string>("error");
        CPPUNIT_ASSERT_MESSAGE(error, error.find("no channel 'nowhere'") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(error, error.find("fixture.lua:") == 0);
    }

    void badInputIsRefused()
    {
        auto unknown = _client->postJson(dryRunPath, R"({"hook":"no_such_hook"})", admin);
        CPPUNIT_ASSERT_EQUAL(400, unknown.status);
        const auto message = unknown.json()->getValue<std::string>("error");
        CPPUNIT_ASSERT_MESSAGE(message, message.find("unknown hook 'no_such_hook'") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(message, message.find("fixture_hook") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(message, message.find("prompt") != std::string::npos);

        auto invalid = _client->postJson(dryRunPath, "{not json", admin);
        CPPUNIT_ASSERT_EQUAL(400, invalid.status);
        CPPUNIT_ASSERT(invalid.json()->has("error"));

        auto noHook = _client->postJson(dryRunPath, R"({"request":{}})", admin);
        CPPUNIT_ASSERT_EQUAL(400, noHook.status);
        CPPUNIT_ASSERT(noHook.json()->getValue<std::string>("error").find("hook") != std::string::npos);

        auto notObject = _client->postJson(dryRunPath, R"({"hook":"fixture_hook","request":[1,2]})", admin);
        CPPUNIT_ASSERT_EQUAL(400, notObject.status);
        CPPUNIT_ASSERT(notObject.json()->getValue<std::string>("error").find("request must be a JSON object") !=
                       std::string::npos);
    }

    void adminsOnly()
    {
        const std::string body = R"({"hook":"fixture_hook"})";
        CPPUNIT_ASSERT_EQUAL(401, _client->postJson(dryRunPath, body).status);
        const std::map<std::string, std::string> user{{"Authorization", "Bearer fixture:ann:user"}};
        auto refused = _client->postJson(dryRunPath, body, user);
        CPPUNIT_ASSERT_EQUAL(403, refused.status);
        CPPUNIT_ASSERT(refused.json()->has("error"));
        CPPUNIT_ASSERT_EQUAL(403, _client->get("/mss-login/api/admin/policies", user).status);
    }

    void listsHooksAndTheLastReload()
    {
        auto listed = _client->get("/mss-login/api/admin/policies", admin);
        CPPUNIT_ASSERT_EQUAL(200, listed.status);
        auto body = listed.json();
        CPPUNIT_ASSERT(body->getValue<int>("generation") >= 1);
        CPPUNIT_ASSERT_EQUAL(1, body->getValue<int>("scripts"));
        CPPUNIT_ASSERT(body->getObject("last_reload")->getValue<bool>("ok"));
        CPPUNIT_ASSERT(!body->getObject("last_reload")->getValue<std::string>("at").empty());
        bool found = false;
        auto hooks = body->getArray("hooks");
        for (std::size_t i = 0; i < hooks->size(); ++i) {
            auto hook = hooks->getObject(i);
            if (hook->getValue<std::string>("name") != "fixture_hook")
                continue;
            found = true;
            CPPUNIT_ASSERT_EQUAL(std::string("closed"), hook->getValue<std::string>("fail_mode"));
            CPPUNIT_ASSERT_EQUAL(1, hook->getValue<int>("handlers"));
            CPPUNIT_ASSERT_EQUAL(std::string("decides /fixture/hooked"), hook->getValue<std::string>("description"));
        }
        CPPUNIT_ASSERT(found);

        // A broken edit: the reload fails, the errors are listed, the generation stays.
        _scripts.write("fixture.lua", "policy.on('fixture_hook', function()\n");
        CPPUNIT_ASSERT_EQUAL(422, _client->request("POST", "/mss-login/api/admin/policies/reload", "", admin).status);
        auto after = _client->get("/mss-login/api/admin/policies", admin).json();
        CPPUNIT_ASSERT_EQUAL(body->getValue<int>("generation"), after->getValue<int>("generation"));
        auto last = after->getObject("last_reload");
        CPPUNIT_ASSERT(!last->getValue<bool>("ok"));
        CPPUNIT_ASSERT(last->getArray("errors")->getElement<std::string>(0).find("fixture.lua:") == 0);
        // The dry run still decides with the active generation.
        CPPUNIT_ASSERT_EQUAL(std::string("deny"),
                             dryRun(R"({"hook":"fixture_hook","request":{"value":"bad"}})")->getValue<std::string>("decision"));
    }

private:
    static void expectCounter(const Poco::JSON::Object::Ptr& answer, int before, int after, const std::string& decision)
    {
        CPPUNIT_ASSERT_EQUAL(decision, answer->getValue<std::string>("decision"));
        auto counters = answer->getArray("counters");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), counters->size());
        auto change = counters->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("fixture_quota"), change->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("shared"), change->getValue<std::string>("key"));
        CPPUNIT_ASSERT_EQUAL(before, change->getValue<int>("before"));
        CPPUNIT_ASSERT_EQUAL(after, change->getValue<int>("after"));
    }

    Poco::JSON::Object::Ptr dryRun(const std::string& body)
    {
        const HttpResult answer = _client->postJson(dryRunPath, body, admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        return answer.json();
    }

    comfygate::test::TempDir _scripts;
    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicyDryRunTest);
