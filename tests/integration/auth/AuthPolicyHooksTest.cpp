// The auth module's policy hooks (login, register, token, the login_failed event) in the real
// binary with the real auth module, over real HTTP, decided by Lua scripts in a policy
// directory of the test's own.
#include "AuthRequests.h"
#include "HttpTestClient.h"
#include "KeepAliveCheck.h"
#include "PooledDatabase.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "TestHttpServer.h"
#include "TestPaths.h"
#include "Totp.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>
#include <tuple>

using comfygate::test::bearer;
using comfygate::test::HttpTestClient;
using comfygate::test::json;
using comfygate::test::KeepAliveCheck;
using comfygate::test::ServerProcess;
using comfygate::test::TempDir;
using comfygate::test::TestHttpRequest;
using comfygate::test::TestHttpServer;

namespace {

const std::string secretKey = "integration-test-secret-key-0123456789abcdef";
const std::string ownerPassword = "correct horse battery staple";
const std::string userPassword = "quiet-river-stone-1";

std::int64_t now()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Refuses every sign-in of a user whose name starts with "deny", and those of users whose
// name starts with "mfa" that are not by password alone (so they can sign in to enrol), with
// a reason that lists what the hook saw, so the test can check the subject and request.
const char* loginScript = R"lua(
policy.on("login", function(subject, request)
  local name = subject.username
  if name:sub(1, 4) == "deny" or (name:sub(1, 3) == "mfa" and request.method ~= "password") then
    return false, string.format(
      "no sign-in for %s (method=%s role=%s mfa=%s age_days=%s created=%s address=%s proxy=%s request_address=%s agent=%s)",
      name, request.method, subject.role, tostring(subject.mfa),
      tostring(subject.account_age_days), tostring(subject.account_created_at), subject.address,
      tostring(subject.via_trusted_proxy), request.address, request.user_agent)
  end
end)
)lua";

// Every login_failed event written to the server log, to prove the asynchronous handler ran.
const char* eventScript = R"lua(
policy.on("event", function(subject, event)
  if event.type == "login_failed" then
    print(string.format("seen login_failed user=%s address=%s reason=%s subject=%s/%s",
      event.username, event.address, event.reason, subject.username, subject.address))
  end
end)
)lua";

// A webhook for every failed sign-in (policy.notify to the `security` channel).
const char* notifyScript = R"lua(
policy.on("event", function(subject, event)
  if event.type == "login_failed" then
    policy.notify("security", "failed sign-in", { username = event.username, address = event.address,
                                                  reason = event.reason, subject = subject.username })
  end
end)
)lua";

const char* registerScript = R"lua(
policy.on("register", function(subject, request)
  if request.username:sub(1, 7) == "blocked" then
    return false, string.format("no account named %s (role=%s groups=%s by_admin=%s caller=%s address=%s)",
      request.username, request.role, table.concat(request.groups, ","), tostring(request.by_admin),
      subject.username, request.address)
  end
end)
)lua";

const char* tokenScript = R"lua(
policy.on("token", function(subject, request)
  if request.label == "forbidden" then
    return false, string.format("no token labelled forbidden for %s (you have %d)", subject.username,
      request.existing_count)
  end
  if request.label == "whoami" then
    return false, string.format("%s created=%s age=%s", subject.token_kind, tostring(subject.account_created_at),
      tostring(subject.account_age_days))
  end
  if request.label == "short" then
    local capped = {}
    for k, v in pairs(request) do capped[k] = v end
    capped.expires_in_seconds = 1800
    return capped
  end
  if request.label == "longer" then
    local longer = {}
    for k, v in pairs(request) do longer[k] = v end
    longer.expires_in_seconds = (request.expires_in_seconds or 0) + 3600
    return longer
  end
  if request.label == "relabel" then
    local other = {}
    for k, v in pairs(request) do other[k] = v end
    other.label = "something else"
    return other
  end
end)
)lua";

} // namespace

class AuthPolicyHooksTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(AuthPolicyHooksTest);
    CPPUNIT_TEST(loginDeniedShowsTheReasonAndIssuesNoSession);
    CPPUNIT_TEST(loginHookSeesTheSubjectBehindATrustedProxy);
    CPPUNIT_TEST(loginHookRunsAfterTheSecondFactor);
    CPPUNIT_TEST(loginHookRunsWhenEnrolmentCompletesALogin);
    CPPUNIT_TEST(swarmLoginDeniedInSwarmShape);
    CPPUNIT_TEST(refusedLoginKeepsTheConnectionInStep);
    CPPUNIT_TEST(loginFailedEventsReachTheEventHook);
    CPPUNIT_TEST(loginFailedEventNotifiesAWebhook);
    CPPUNIT_TEST(registerDeniedShowsTheReason);
    CPPUNIT_TEST(tokenDeniedAndExpiryCapped);
    CPPUNIT_TEST(everyCredentialKindCarriesTheAccountCreationTime);
    CPPUNIT_TEST(hooksAreListedWithTheModulesExamples);
    CPPUNIT_TEST(officeHoursRefuseSignInOutsideTheWindow);
    CPPUNIT_TEST(officeHoursAllowSignInInsideTheWindow);
    CPPUNIT_TEST_SUITE_END();

public:
    void tearDown() override
    {
        _client.reset();
        _server.reset();
    }

    void loginDeniedShowsTheReasonAndIssuesNoSession()
    {
        startServer({{"login.lua", loginScript}});
        const std::string owner = login("owner", ownerPassword);
        createUser(owner, "deny_dee");

        auto denied = _client->postJson("/login", json({{"username", "deny_dee"}, {"password", userPassword}}),
                                        {{"User-Agent", "hooks-test/1"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(denied.body, 403, denied.status);
        const std::string reason = denied.json()->getValue<std::string>("error");
        CPPUNIT_ASSERT_MESSAGE(reason, reason.find("no sign-in for deny_dee (method=password role=user mfa=false") == 0);
        CPPUNIT_ASSERT_MESSAGE(reason, reason.find(" address=127.0.0.1 proxy=false request_address=127.0.0.1 "
                                                   "agent=hooks-test/1)") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(denied.header("set-cookie"), denied.header("set-cookie").find("jwt_token") == std::string::npos);
        CPPUNIT_ASSERT(!denied.json()->has("jwt_token"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), count("SELECT COUNT(*) FROM session_tokens s JOIN users u ON u.id = s.user_id "
                                                    "WHERE u.username = 'deny_dee'"));
        CPPUNIT_ASSERT_EQUAL(std::string("deny_dee login.denied deny_dee {\"reason\":\"" + reason + "\"}|"),
                             auditRows("'login.denied'"));

        // A browser's form post is refused the same way, with the reason.
        auto form = _client->request("POST", "/login", "username=deny_dee&password=" + userPassword,
                                     {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "text/html"}});
        CPPUNIT_ASSERT_EQUAL(403, form.status);
        CPPUNIT_ASSERT_MESSAGE(form.body, form.body.find("no sign-in for deny_dee") != std::string::npos);

        // Refusals by policy do not feed the lockout (3 failures lock for a minute): the
        // password was right.
        for (int i = 0; i < 3; ++i)
            _client->postJson("/login", json({{"username", "deny_dee"}, {"password", userPassword}}));
        auto still = _client->postJson("/login", json({{"username", "deny_dee"}, {"password", userPassword}}));
        CPPUNIT_ASSERT_EQUAL(403, still.status);
        CPPUNIT_ASSERT_MESSAGE(still.body, still.body.find("no sign-in for deny_dee") != std::string::npos);

        // Others sign in as before.
        createUser(owner, "alice");
        login("alice", userPassword);
    }

    void loginHookSeesTheSubjectBehindATrustedProxy()
    {
        startServer({{"login.lua", loginScript}}, {{"http.trusted_proxies", "127.0.0.1/32"}});
        const std::string owner = login("owner", ownerPassword);
        const std::int64_t before = now();
        createUser(owner, "deny_dan");
        const std::int64_t after = now();

        auto denied = _client->postJson("/login", json({{"username", "deny_dan"}, {"password", userPassword}}),
                                        {{"X-Forwarded-For", "203.0.113.9"}, {"User-Agent", "proxied-browser"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(denied.body, 403, denied.status);
        const std::string reason = denied.json()->getValue<std::string>("error");
        CPPUNIT_ASSERT_MESSAGE(reason, reason.find("age_days=0 ") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(reason, reason.find(" address=203.0.113.9 proxy=true request_address=203.0.113.9 "
                                                   "agent=proxied-browser)") != std::string::npos);
        const auto created = reason.find("created=");
        CPPUNIT_ASSERT(created != std::string::npos);
        const std::int64_t createdAt = std::stoll(reason.substr(created + 8));
        CPPUNIT_ASSERT_MESSAGE(reason, createdAt >= before && createdAt <= after);

    }

    void loginHookRunsAfterTheSecondFactor()
    {
        startServer({{"login.lua", loginScript}});
        const std::string owner = login("owner", ownerPassword);
        createUser(owner, "mfa_max");
        const std::string backup = enrolMfa(login("mfa_max", userPassword)); // by password: allowed
        auto challenge = _client->postJson("/login", json({{"username", "mfa_max"}, {"password", userPassword}}));
        CPPUNIT_ASSERT_MESSAGE(challenge.body, challenge.json()->getValue<bool>("mfa_required"));
        auto denied = _client->postJson("/mss-login/api/mfa/verify",
                                        json({{"mfa_temp_token", challenge.json()->getValue<std::string>("mfa_temp_token")},
                                              {"backup_code", backup}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(denied.body, 403, denied.status);
        CPPUNIT_ASSERT_MESSAGE(denied.body, denied.json()->getValue<std::string>("error").find(
                                                "no sign-in for mfa_max (method=mfa role=user mfa=true") == 0);
        CPPUNIT_ASSERT(!denied.json()->has("jwt_token"));
        // Only the password login made to enrol left a session.
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), count("SELECT COUNT(*) FROM session_tokens s JOIN users u ON u.id = s.user_id "
                                                    "WHERE u.username = 'mfa_max'"));
    }

    void loginHookRunsWhenEnrolmentCompletesALogin()
    {
        // experimental.mfa: admins must enrol at their first sign-in, which then completes it.
        startServer({{"login.lua", loginScript}}, {{"experimental.mfa", "true"}});
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, _server->runCommand({"user", "add", "mfa_ann", "--role", "admin", "--password-stdin"},
                                                                 out, err, userPassword + "\n"));
        auto first = _client->postJson("/login", json({{"username", "mfa_ann"}, {"password", userPassword}}));
        CPPUNIT_ASSERT_MESSAGE(first.body, first.json()->getValue<bool>("mfa_setup_required"));
        const std::string temp = first.json()->getValue<std::string>("mfa_temp_token");
        auto setup = _client->postJson("/mss-login/api/mfa/setup", json({{"mfa_temp_token", temp}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(setup.body, 200, setup.status);
        const std::string secret = setup.json()->getValue<std::string>("secret");
        auto done = _client->postJson("/mss-login/api/mfa/verify-setup",
                                      json({{"mfa_temp_token", temp},
                                            {"code", comfygate::auth::Totp::code(secret, comfygate::auth::Totp::stepAt(now()))}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(done.body, 403, done.status);
        CPPUNIT_ASSERT_MESSAGE(done.body, done.json()->getValue<std::string>("error").find(
                                              "no sign-in for mfa_ann (method=mfa_setup role=admin mfa=true") == 0);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), count("SELECT COUNT(*) FROM session_tokens s JOIN users u ON u.id = s.user_id "
                                                    "WHERE u.username = 'mfa_ann'"));
    }

    void swarmLoginDeniedInSwarmShape()
    {
        startServer({{"login.lua", loginScript}});
        const std::string owner = login("owner", ownerPassword);
        createUser(owner, "deny_hal");
        auto denied = _client->postJson("/API/Login", json({{"username", "deny_hal"}, {"password", userPassword}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(denied.body, 403, denied.status);
        CPPUNIT_ASSERT_EQUAL(std::string("policy_denied"), denied.json()->getValue<std::string>("error_id"));
        CPPUNIT_ASSERT(denied.json()->getValue<std::string>("error").find("no sign-in for deny_hal (method=password") == 0);
        CPPUNIT_ASSERT(denied.header("set-cookie").find("swarm_token") == std::string::npos);
        createUser(owner, "sam");
        auto allowed = _client->postJson("/API/Login", json({{"username", "sam"}, {"password", userPassword}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(allowed.body, 200, allowed.status);
    }

    void refusedLoginKeepsTheConnectionInStep()
    {
        startServer({{"login.lua", loginScript}});
        const std::string owner = login("owner", ownerPassword);
        createUser(owner, "deny_ali");
        KeepAliveCheck check(_server->port(), KeepAliveCheck::request("GET", "/mss-login/api/me", "", ""), 200,
                             "\"authenticated\":false");
        check.assertInStep("a login refused by policy",
                           KeepAliveCheck::request("POST", "/login", "Content-Type: application/json\r\n",
                                                   json({{"username", "deny_ali"}, {"password", userPassword}})),
                           403);
    }

    void loginFailedEventsReachTheEventHook()
    {
        startServer({{"login.lua", loginScript}, {"events.lua", eventScript}},
                    {{"auth.lockout_steps", "2:60"}});
        const std::string owner = login("owner", ownerPassword);
        createUser(owner, "deny_bea");

        CPPUNIT_ASSERT_EQUAL(401, _client->postJson("/login", json({{"username", "nobody"}, {"password", "wrong-one"}})).status);
        CPPUNIT_ASSERT(logEventually("seen login_failed user=nobody address=127.0.0.1 reason=bad_credentials "
                                     "subject=nobody/127.0.0.1"));
        CPPUNIT_ASSERT_EQUAL(403, _client->postJson("/login", json({{"username", "deny_bea"}, {"password", userPassword}})).status);
        CPPUNIT_ASSERT(logEventually("seen login_failed user=deny_bea address=127.0.0.1 reason=policy_denied"));
        // A wrong second factor: the address's second failure, which locks it (auth.lockout_steps 2:60).
        createUser(owner, "mia");
        const std::string backup = enrolMfa(login("mia", userPassword));
        auto challenge = _client->postJson("/login", json({{"username", "mia"}, {"password", userPassword}})).json();
        auto wrong = _client->postJson("/mss-login/api/mfa/verify",
                                       json({{"mfa_temp_token", challenge->getValue<std::string>("mfa_temp_token")},
                                             {"backup_code", backup + "0"}}));
        CPPUNIT_ASSERT_EQUAL(400, wrong.status);
        CPPUNIT_ASSERT(logEventually("seen login_failed user=mia address=127.0.0.1 reason=mfa_failed"));

        auto locked = _client->postJson("/login", json({{"username", "nobody"}, {"password", "wrong-two"}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(locked.body, 403, locked.status);
        CPPUNIT_ASSERT(logEventually("seen login_failed user=nobody address=127.0.0.1 reason=locked"));
    }

    void loginFailedEventNotifiesAWebhook()
    {
        TestHttpServer receiver;
        receiver.on("POST", "/security", [](const TestHttpRequest&, Poco::Net::HTTPServerResponse& response) {
            response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
            response.send() << "ok";
        });
        startServer({{"notify.lua", notifyScript}}, {{"policy.channels.security.url", receiver.url("/security")}});
        CPPUNIT_ASSERT_EQUAL(401, _client->postJson("/login", json({{"username", "owner"}, {"password", "not-it"}})).status);
        for (int i = 0; i < 200 && receiver.requests("/security").empty(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const auto requests = receiver.requests("/security");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(_server->stderrText(), std::size_t(1), requests.size());
        const auto body = Poco::JSON::Parser().parse(requests[0].body).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("failed sign-in"), body->getValue<std::string>("message"));
        const auto fields = body->getObject("fields");
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), fields->getValue<std::string>("username"));
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), fields->getValue<std::string>("address"));
        CPPUNIT_ASSERT_EQUAL(std::string("bad_credentials"), fields->getValue<std::string>("reason"));
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), fields->getValue<std::string>("subject"));
    }

    void registerDeniedShowsTheReason()
    {
        startServer({{"register.lua", registerScript}}, {{"auth.allow_registration", "true"}});
        const std::string owner = login("owner", ownerPassword);

        auto byAdmin = _client->postJson(
            "/register", json({{"new_user_username", "blocked_bob"}, {"new_user_password", userPassword}}), bearer(owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(byAdmin.body, 403, byAdmin.status);
        CPPUNIT_ASSERT_EQUAL(std::string("no account named blocked_bob (role=user groups=user by_admin=true caller=owner "
                                         "address=127.0.0.1)"),
                             byAdmin.json()->getValue<std::string>("error"));

        auto self = _client->postJson("/register", json({{"new_user_username", "blocked_eve"}, {"new_user_password", userPassword}}));
        CPPUNIT_ASSERT_EQUAL(403, self.status);
        CPPUNIT_ASSERT_EQUAL(std::string("no account named blocked_eve (role=user groups=user by_admin=false caller= "
                                         "address=127.0.0.1)"),
                             self.json()->getValue<std::string>("error"));

        auto swarm = _client->postJson("/API/RegisterBasic", json({{"username", "blocked_sue"}, {"password", userPassword}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(swarm.body, 403, swarm.status);
        CPPUNIT_ASSERT_EQUAL(std::string("policy_denied"), swarm.json()->getValue<std::string>("error_id"));
        CPPUNIT_ASSERT(swarm.json()->getValue<std::string>("error").find("no account named blocked_sue") == 0);

        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), count("SELECT COUNT(*) FROM users WHERE username LIKE 'blocked%'"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3), count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.create.denied'"));
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/register", json({{"new_user_username", "fine_fay"},
                                                                      {"new_user_password", userPassword}})).status);
    }

    void tokenDeniedAndExpiryCapped()
    {
        startServer({{"token.lua", tokenScript}});
        const std::string owner = login("owner", ownerPassword);

        auto first = _client->postJson("/mss-login/generate_token", json({{"label", "plain"}}), bearer(owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 200, first.status);
        CPPUNIT_ASSERT_EQUAL(720, first.json()->getValue<int>("expires_in_hours"));

        auto denied = _client->postJson("/mss-login/generate_token", json({{"label", "forbidden"}}), bearer(owner));
        CPPUNIT_ASSERT_EQUAL(403, denied.status);
        CPPUNIT_ASSERT_EQUAL(std::string("no token labelled forbidden for owner (you have 1)"),
                             denied.json()->getValue<std::string>("error"));
        // With a password instead of a session: the same hook.
        auto byPassword = _client->postJson("/mss-login/generate_token",
                                            json({{"username", "owner"}, {"password", ownerPassword}, {"label", "forbidden"}}));
        CPPUNIT_ASSERT_EQUAL(403, byPassword.status);

        auto capped = _client->postJson("/mss-login/generate_token", json({{"label", "short"}}), bearer(owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(capped.body, 200, capped.status);
        CPPUNIT_ASSERT_EQUAL(1800, capped.json()->getValue<int>("expires_in_seconds"));
        CPPUNIT_ASSERT_EQUAL(0.5, capped.json()->getValue<double>("expires_in_hours"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1800), count("SELECT expires_at - created_at FROM api_tokens WHERE label = 'short'"));
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/mss-login/api/me", bearer(capped.json()->getValue<std::string>("jwt_token"))).status);

        // A never-expiring request (the owner may) is capped too.
        auto never = _client->postJson("/mss-login/generate_token", "{\"label\":\"short\",\"expire_hours\":0}", bearer(owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(never.body, 200, never.status);
        CPPUNIT_ASSERT_EQUAL(1800, never.json()->getValue<int>("expires_in_seconds"));

        // Raising the expiry or changing anything else is a policy error, logged.
        auto longer = _client->postJson("/mss-login/generate_token", json({{"label", "longer"}}), bearer(owner));
        CPPUNIT_ASSERT_EQUAL(403, longer.status);
        CPPUNIT_ASSERT_EQUAL(std::string("policy error"), longer.json()->getValue<std::string>("error"));
        CPPUNIT_ASSERT(logEventually("raised expires_in_seconds from 2592000 to 2595600"));
        auto relabel = _client->postJson("/mss-login/generate_token", json({{"label", "relabel"}}), bearer(owner));
        CPPUNIT_ASSERT_EQUAL(403, relabel.status);
        CPPUNIT_ASSERT(logEventually("returned a table that changed 'label'"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), count("SELECT COUNT(*) FROM api_tokens WHERE label IN ('forbidden', 'longer', 'relabel')"));

        // SwarmUI's CreateAuthToken asks the same hook and answers in its shape.
        auto swarm = _client->postJson("/API/CreateAuthToken", json({{"reason", "forbidden"}}), bearer(owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(swarm.body, 403, swarm.status);
        CPPUNIT_ASSERT_EQUAL(std::string("policy_denied"), swarm.json()->getValue<std::string>("error_id"));
        CPPUNIT_ASSERT(swarm.json()->getValue<std::string>("error").find("you have 3") != std::string::npos);
        auto swarmShort = _client->postJson("/API/CreateAuthToken", json({{"reason", "short"}}), bearer(owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(swarmShort.body, 200, swarmShort.status);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3), count("SELECT COUNT(*) FROM api_tokens WHERE label = 'short' AND "
                                                    "expires_at - created_at = 1800"));
    }

    void everyCredentialKindCarriesTheAccountCreationTime()
    {
        startServer({{"token.lua", tokenScript}});
        const std::string createdAt =
            std::to_string(count("SELECT created_at FROM users WHERE username = 'owner'"));
        const std::string session = login("owner", ownerPassword);
        const std::string apiToken =
            _client->postJson("/mss-login/generate_token", json({{"label", "plain"}}), bearer(session))
                .json()->getValue<std::string>("jwt_token");
        auto swarmSession = _client->postJson("/API/GetNewSession", "{}", bearer(apiToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(swarmSession.body, 200, swarmSession.status);
        const std::string sessionId = swarmSession.json()->getValue<std::string>("session_id");

        const double hitsBefore = _server->metric("comfygate_auth_credential_cache_hits").value_or(0);
        // Twice each: the second request's credential comes from the credential cache.
        for (int round = 0; round < 2; ++round) {
            auto bySession = _client->postJson("/mss-login/generate_token", json({{"label", "whoami"}}), bearer(session));
            CPPUNIT_ASSERT_EQUAL(std::string("session created=" + createdAt + " age=0"),
                                 bySession.json()->getValue<std::string>("error"));
            auto byToken = _client->postJson("/API/CreateAuthToken", json({{"reason", "whoami"}}), bearer(apiToken));
            CPPUNIT_ASSERT_EQUAL(std::string("api_token created=" + createdAt + " age=0"),
                                 byToken.json()->getValue<std::string>("error"));
            auto bySwarmSession =
                _client->postJson("/API/CreateAuthToken", json({{"session_id", sessionId}, {"reason", "whoami"}}));
            CPPUNIT_ASSERT_EQUAL(std::string("swarm_session created=" + createdAt + " age=0"),
                                 bySwarmSession.json()->getValue<std::string>("error"));
        }
        CPPUNIT_ASSERT(_server->metric("comfygate_auth_credential_cache_hits").value_or(0) >= hitsBefore + 3);
    }

    void hooksAreListedWithTheModulesExamples()
    {
        startServer({{"login.lua", loginScript}, {"token.lua", tokenScript}});
        auto listed = _client->get("/mss-login/api/admin/policies", bearer(login("owner", ownerPassword)));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
        std::map<std::string, Poco::JSON::Object::Ptr> hooks;
        const auto array = listed.json()->getArray("hooks");
        for (std::size_t i = 0; i < array->size(); ++i) {
            const auto hook = array->getObject(static_cast<unsigned>(i));
            hooks[hook->getValue<std::string>("name")] = hook;
        }
        for (const auto& [name, requestField, handlers] :
             std::vector<std::tuple<std::string, std::string, int>>{
                 {"login", "user_agent", 1}, {"register", "by_admin", 0}, {"token", "existing_count", 1}}) {
            CPPUNIT_ASSERT_MESSAGE(name, hooks.count(name));
            const auto& hook = hooks[name];
            CPPUNIT_ASSERT_EQUAL(std::string("closed"), hook->getValue<std::string>("fail_mode"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, handlers, hook->getValue<int>("handlers"));
            CPPUNIT_ASSERT_MESSAGE(name, hook->getObject("request_example")->has(requestField));
            CPPUNIT_ASSERT_MESSAGE(name, hook->getObject("subject_example")->has("via_trusted_proxy"));
        }
        CPPUNIT_ASSERT(hooks["login"]->getObject("subject_example")->has("account_age_days"));
    }

    void officeHoursRefuseSignInOutsideTheWindow()
    {
        // The shipped office_hours.lua with a window that opens in two hours and closes in
        // three (UTC), for the power role only.
        const std::string window = clockIn(120) + "-" + clockIn(180);
        startServer({}, officeHours(window));
        const std::string owner = login("owner", ownerPassword); // the owner is never limited
        createUser(owner, "pia");
        CPPUNIT_ASSERT_EQUAL(200, _client->request("PUT", "/mss-login/api/users/pia", "{\"groups\":[\"power\"]}",
                                                   bearer(owner)).status);
        auto denied = _client->postJson("/login", json({{"username", "pia"}, {"password", userPassword}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(denied.body, 403, denied.status);
        const std::string reason = denied.json()->getValue<std::string>("error");
        CPPUNIT_ASSERT_MESSAGE(reason, reason.find("sign-in is possible " + window + " on * (UTC); it is ") == 0);
        auto swarm = _client->postJson("/API/Login", json({{"username", "pia"}, {"password", userPassword}}));
        CPPUNIT_ASSERT_EQUAL(403, swarm.status);
        CPPUNIT_ASSERT_EQUAL(std::string("policy_denied"), swarm.json()->getValue<std::string>("error_id"));

        createUser(owner, "uma"); // role user: not in office_hours_groups
        login("uma", userPassword);
    }

    void officeHoursAllowSignInInsideTheWindow()
    {
        // A window from an hour ago to an hour from now (across midnight when now is close to it).
        startServer({}, officeHours(clockIn(-60) + "-" + clockIn(60)));
        const std::string owner = login("owner", ownerPassword);
        createUser(owner, "pia");
        CPPUNIT_ASSERT_EQUAL(200, _client->request("PUT", "/mss-login/api/users/pia", "{\"groups\":[\"power\"]}",
                                                   bearer(owner)).status);
        login("pia", userPassword);
    }

private:
    /// "HH:MM" in UTC, `minutes` from now.
    static std::string clockIn(int minutes)
    {
        const std::int64_t minuteOfDay = ((now() / 60 + minutes) % 1440 + 1440) % 1440;
        char text[8];
        std::snprintf(text, sizeof text, "%02d:%02d", static_cast<int>(minuteOfDay / 60), static_cast<int>(minuteOfDay % 60));
        return text;
    }

    static std::map<std::string, std::string> officeHours(const std::string& window)
    {
        return {{"policy.settings.office_hours", window},
                {"policy.settings.office_hours_days", "*"},
                {"policy.settings.office_hours_groups", "power"}};
    }

    void startServer(const std::map<std::string, std::string>& scripts, std::map<std::string, std::string> extra = {})
    {
        copyShippedPolicies();
        for (const auto& [name, text] : scripts)
            _scripts.write(name, text);
        std::map<std::string, std::string> config{{"modules.enabled", "auth"}, {"policy.dir", _scripts.path()}};
        for (auto& [key, value] : extra)
            config[key] = value;
        _server = std::make_unique<ServerProcess>(config, std::map<std::string, std::string>{{"SECRET_KEY", secretKey}});
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, _server->runCommand({"user", "add", "owner", "--role", "owner", "--password-stdin"},
                                                                 out, err, ownerPassword + "\n"));
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
    }

    void copyShippedPolicies()
    {
        for (const std::string sub : {"", "lib/"}) {
            const std::string from = COMFYGATE_SOURCE_DIR "/scripts/policy/" + sub;
            if (sub == "lib/")
                Poco::File(_scripts.file("lib")).createDirectories();
            for (Poco::DirectoryIterator it(from), end; it != end; ++it) {
                if (it->isFile())
                    Poco::File(it->path()).copyTo(_scripts.file(sub));
            }
        }
    }

    std::string login(const std::string& user, const std::string& password)
    {
        auto result = _client->postJson("/login", json({{"username", user}, {"password", password}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("jwt_token");
    }

    void createUser(const std::string& admin, const std::string& name)
    {
        auto created = _client->postJson("/register", json({{"new_user_username", name}, {"new_user_password", userPassword}}),
                                         bearer(admin));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 200, created.status);
    }

    /// Enrols the session's user in MFA; returns one backup code.
    std::string enrolMfa(const std::string& session)
    {
        auto setup = _client->postJson("/mss-login/api/mfa/setup", "{}", bearer(session));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(setup.body, 200, setup.status);
        const std::string secret = setup.json()->getValue<std::string>("secret");
        auto enabled = _client->postJson(
            "/mss-login/api/mfa/verify-setup",
            json({{"code", comfygate::auth::Totp::code(secret, comfygate::auth::Totp::stepAt(now()))}}), bearer(session));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(enabled.body, 200, enabled.status);
        return setup.json()->getArray("backup_codes")->getElement<std::string>(0);
    }

    comfygate::PooledDatabase& database()
    {
        if (!_database) {
            comfygate::DatabaseSettings settings;
            settings.sqlitePath = _server->dataDir() + "/comfygate.db";
            _database = std::make_unique<comfygate::PooledDatabase>(settings);
            _database->open();
        }
        return *_database;
    }

    std::int64_t count(const std::string& sql)
    {
        const auto rows = database().select(sql, {});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rows.size());
        return rows[0][0].convert<std::int64_t>();
    }

    /// "actor action target detail|" for every audit row whose action is in `actions` (SQL list).
    std::string auditRows(const std::string& actions)
    {
        std::string seen;
        for (const auto& row : database().select("SELECT actor, action, target, detail FROM audit_log WHERE action IN (" +
                                                     actions + ") ORDER BY id",
                                                 {}))
            seen += row[0].convert<std::string>() + " " + row[1].convert<std::string>() + " " +
                    row[2].convert<std::string>() + " " + row[3].convert<std::string>() + "|";
        return seen;
    }

    /// Waits for `text` in the server's log (the event hook runs on a background worker).
    bool logEventually(const std::string& text)
    {
        for (int i = 0; i < 200; ++i) {
            if (_server->stderrText().find(text) != std::string::npos)
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        CPPUNIT_FAIL("not in the server log: " + text + "\n--- log ---\n" + _server->stderrText());
        return false;
    }

    TempDir _scripts;
    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
    std::unique_ptr<comfygate::PooledDatabase> _database;
};

CPPUNIT_TEST_SUITE_REGISTRATION(AuthPolicyHooksTest);
