// Two comfygate instances on one PostgreSQL database behind nginx (issue 14, "Several instances,
// one PostgreSQL"): both come up when started together on an empty database, with each migration
// applied once; a user who logs in through one instance is served by the other, and a credential
// revoked on one is refused by the other on the very next request.
#include "../auth/AuthRequests.h"
#include "HttpTestClient.h"
#include "SharedDatabaseGateways.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <map>
#include <memory>
#include <chrono>
#include <regex>
#include <thread>

using comfygate::test::bearer;
using comfygate::test::HttpTestClient;
using comfygate::test::json;
using comfygate::test::SharedDatabaseGateways;

namespace {

const std::string userPassword = "orbit-lantern-9";
const std::string sessionsRoute = "/mss-login/me/sessions"; // needs a credential

} // namespace

class SharedDatabaseAuthTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SharedDatabaseAuthTest);
    CPPUNIT_TEST(instancesStartedTogetherApplyEachMigrationOnce);
    CPPUNIT_TEST(loginThroughOneInstanceIsServedByTheOther);
    CPPUNIT_TEST(logoutOnOneInstanceIsRefusedByTheOther);
    CPPUNIT_TEST(tokenDeletedOnOneInstanceIsRefusedByTheOther);
    CPPUNIT_TEST(userDeletedOnOneInstanceIsRefusedByTheOther);
    CPPUNIT_TEST(roleTableChangedOnOneInstanceAppliesOnTheOther);
    CPPUNIT_TEST(ipBlockOnOneInstanceAppliesOnTheOther);
    CPPUNIT_TEST(lostDatabaseIsReconnectedAndNotReadyMeanwhile);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        // The IP lists are read again only hourly: a block reaches the other instance by its
        // announcement, or not within the test.
        _gateways = std::make_unique<SharedDatabaseGateways>(2, std::map<std::string, std::string>{
                                                                    {"modules.enabled", "auth"},
                                                                    {"auth.ip_lists_refresh_seconds", "3600"}});
        _first = std::make_unique<HttpTestClient>(_gateways->instance(0).port());
        _second = std::make_unique<HttpTestClient>(_gateways->instance(1).port());
        _proxy = std::make_unique<HttpTestClient>(_gateways->proxyPort());
    }

    void tearDown() override
    {
        _first.reset();
        _second.reset();
        _proxy.reset();
        _gateways.reset();
    }

    void instancesStartedTogetherApplyEachMigrationOnce()
    {
        for (std::size_t i = 0; i < _gateways->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(200, HttpTestClient(_gateways->instance(i).port()).get("/readyz").status);
        // The log line "applied migration <owner>/<NNN_name>" of every migration, over both logs.
        std::map<std::string, int> applied;
        const std::regex line("applied migration ([a-z_-]+/[0-9]{3}_[A-Za-z0-9_]+)");
        for (std::size_t i = 0; i < _gateways->size(); ++i) {
            const std::string log = _gateways->instance(i).stderrText();
            for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator(); ++it)
                ++applied[(*it)[1].str()];
        }
        CPPUNIT_ASSERT_EQUAL(1, applied["kernel/001_audit_log"]);
        bool authMigrated = false;
        for (const auto& [label, times] : applied) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label, 1, times);
            authMigrated = authMigrated || label.rfind("auth/", 0) == 0;
        }
        CPPUNIT_ASSERT(authMigrated);
    }

    void loginThroughOneInstanceIsServedByTheOther()
    {
        addUser("dora");
        const std::string session = login(*_first, "dora");
        const auto served = _second->get(sessionsRoute, bearer(session));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(served.body, 200, served.status);
        // Through nginx the requests alternate between the instances; each is accepted.
        const std::string viaProxy = login(*_proxy, "dora");
        for (int i = 0; i < 4; ++i) {
            CPPUNIT_ASSERT_EQUAL(200, _proxy->get(sessionsRoute, bearer(viaProxy)).status);
            CPPUNIT_ASSERT_EQUAL(200, _proxy->get(sessionsRoute, bearer(session)).status);
        }
        // Both instances saw the sessions: each lists the two of them.
        for (HttpTestClient* client : {_first.get(), _second.get()}) {
            const auto list = client->get(sessionsRoute, bearer(session));
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), list.json()->getArray("sessions")->size());
        }
    }

    void logoutOnOneInstanceIsRefusedByTheOther()
    {
        addUser("dora");
        const std::string session = login(*_first, "dora");
        const std::string other = login(*_second, "dora");
        useOnBoth(session);
        useOnBoth(other);
        CPPUNIT_ASSERT_EQUAL(200, _first->get("/logout", bearer(session)).status);
        CPPUNIT_ASSERT_EQUAL(401, _second->get(sessionsRoute, bearer(session)).status);
        CPPUNIT_ASSERT_EQUAL(401, _first->get(sessionsRoute, bearer(session)).status);
        useOnBoth(other);
    }

    void tokenDeletedOnOneInstanceIsRefusedByTheOther()
    {
        addUser("dora");
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(out + err, 0,
                                     _gateways->instance(0).runCommand({"token", "create", "dora", "--label", "script"},
                                                                       out, err));
        const std::string token = out.substr(0, out.find('\n'));
        const std::string session = login(*_first, "dora");
        useOnBoth(token);
        const auto tokens = _second->get("/mss-login/api/tokens", bearer(session)).json()->getArray("tokens");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tokens->size());
        const std::string prefix = tokens->getObject(0)->getValue<std::string>("token_hash_prefix");
        const auto deleted = _second->request("DELETE", "/mss-login/api/tokens", json({{"token_hash_prefix", prefix}}),
                                              {{"Authorization", "Bearer " + session},
                                               {"Content-Type", "application/json"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(deleted.body, 200, deleted.status);
        CPPUNIT_ASSERT_EQUAL(401, _first->get(sessionsRoute, bearer(token)).status);
        CPPUNIT_ASSERT_EQUAL(401, _second->get(sessionsRoute, bearer(token)).status);
        useOnBoth(session);
    }

    void userDeletedOnOneInstanceIsRefusedByTheOther()
    {
        addUser("dora");
        const std::string session = login(*_second, "dora");
        useOnBoth(session);
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(out + err, 0, _gateways->instance(0).runCommand({"user", "delete", "dora"}, out, err));
        CPPUNIT_ASSERT_EQUAL(401, _second->get(sessionsRoute, bearer(session)).status);
        CPPUNIT_ASSERT_EQUAL(401, _first->get(sessionsRoute, bearer(session)).status);
    }

    void roleTableChangedOnOneInstanceAppliesOnTheOther()
    {
        const std::string owner = ownerSession();
        addUser("dora");
        const std::string session = login(*_second, "dora");
        CPPUNIT_ASSERT(!hasPermission(*_second, session, "can_see_restricted_settings"));
        const auto changed = _first->request("PUT", "/mss-login/api/groups",
                                             R"({"groups":{"power":{"can_see_restricted_settings":true}}})",
                                             bearer(owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(changed.body, 200, changed.status);
        CPPUNIT_ASSERT(hasPermission(*_first, session, "can_see_restricted_settings"));
        // The other instance applies the stored table when the change's notification arrives.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!hasPermission(*_second, session, "can_see_restricted_settings")) {
            if (std::chrono::steady_clock::now() > deadline)
                CPPUNIT_FAIL("the second instance kept the old role table");
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    void ipBlockOnOneInstanceAppliesOnTheOther()
    {
        const std::string owner = ownerSession();
        addUser("dora");
        const std::string session = login(*_second, "dora");
        useOnBoth(session); // both instances have read the (empty) lists
        const auto blocked = _first->request("PUT", "/mss-login/api/ip-lists", R"({"blacklist":["127.0.0.1"]})",
                                             {{"Authorization", "Bearer " + owner}, {"Content-Type", "application/json"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(blocked.body, 200, blocked.status);
        CPPUNIT_ASSERT_EQUAL(403, _first->get(sessionsRoute, bearer(session)).status);
        // The other instance drops the lists it read when the change's notification arrives.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (true) {
            const auto answer = _second->get(sessionsRoute, bearer(session));
            if (answer.status == 403) {
                CPPUNIT_ASSERT_MESSAGE(answer.body, answer.body.find("ip_blocked") != std::string::npos);
                break;
            }
            CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
            if (std::chrono::steady_clock::now() > deadline)
                CPPUNIT_FAIL("the second instance kept the IP lists it had read before the block");
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    void lostDatabaseIsReconnectedAndNotReadyMeanwhile()
    {
        addUser("dora");
        const std::string session = login(*_first, "dora");
        useOnBoth(session); // every pooled connection of both instances has been used
        _gateways->cluster().stop();
        for (HttpTestClient* client : {_first.get(), _second.get()}) {
            const auto answer = waitForReadyz(*client, 503);
            CPPUNIT_ASSERT_EQUAL(std::string("database_unreachable"), answer.json()->getValue<std::string>("status"));
        }
        _gateways->cluster().start();
        for (HttpTestClient* client : {_first.get(), _second.get()})
            waitForReadyz(*client, 200);
        // Ready again means served again: no request gets a connection the restart cut.
        useOnBoth(session);
        const std::string again = login(*_second, "dora");
        useOnBoth(again);
    }

private:
    static bool hasPermission(HttpTestClient& client, const std::string& credential, const std::string& permission)
    {
        const auto me = client.get("/mss-login/api/me", bearer(credential));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(me.body, 200, me.status);
        const auto permissions = me.json()->getArray("permissions");
        for (std::size_t i = 0; i < permissions->size(); ++i) {
            if (permissions->getElement<std::string>(static_cast<unsigned>(i)) == permission)
                return true;
        }
        return false;
    }

    /// Polls /readyz until it answers `status` (the instance notices within its retry pace).
    static comfygate::test::HttpResult waitForReadyz(HttpTestClient& client, int status)
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        for (;;) {
            auto answer = client.get("/readyz");
            if (answer.status == status)
                return answer;
            if (std::chrono::steady_clock::now() > deadline)
                CPPUNIT_FAIL("/readyz stayed " + std::to_string(answer.status) + ": " + answer.body);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    void addUser(const std::string& name)
    {
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0,
                                     _gateways->instance(1).runCommand({"user", "add", name, "--role", "power",
                                                                        "--password-stdin"},
                                                                       out, err, userPassword + "\n"));
    }

    /// Adds the owner olga (by the CLI of the first instance) and signs her in there.
    std::string ownerSession()
    {
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0,
                                     _gateways->instance(0).runCommand({"user", "add", "olga", "--role", "owner",
                                                                        "--password-stdin"},
                                                                       out, err, userPassword + "\n"));
        return login(*_first, "olga");
    }

    std::string login(HttpTestClient& client, const std::string& user)
    {
        const auto result = client.postJson("/login", json({{"username", user}, {"password", userPassword}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("jwt_token");
    }

    /// Twice on each instance, so a cache of verified credentials would hold it on both.
    void useOnBoth(const std::string& credential)
    {
        for (HttpTestClient* client : {_first.get(), _second.get(), _first.get(), _second.get()}) {
            const auto result = client->get(sessionsRoute, bearer(credential));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        }
    }

    std::unique_ptr<SharedDatabaseGateways> _gateways;
    std::unique_ptr<HttpTestClient> _first;
    std::unique_ptr<HttpTestClient> _second;
    std::unique_ptr<HttpTestClient> _proxy;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SharedDatabaseAuthTest);
