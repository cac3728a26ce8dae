// The verified-credential cache and the effective-permission memo of the real binary, over real
// HTTP: a credential used once (so it is cached) must be refused, or show its new facts, on
// the very next request after each change that can revoke it, whether the change comes through
// the HTTP API or from the CLI in another process (issue 18, "Revocation stays immediate").
#include "AuthRequests.h"
#include "HttpTestClient.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "Totp.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <fstream>
#include <sstream>

using comfygate::test::HttpResult;
using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using Headers = std::map<std::string, std::string>;
using comfygate::test::bearer;
using comfygate::test::json;

namespace {

const std::string ownerPassword = "correct horse battery staple";
const std::string userPassword = "orbit-lantern-9";
const std::string meRoute = "/mss-login/api/me";
const std::string sessionsRoute = "/mss-login/me/sessions"; // unlike /me, it needs a credential

bool contains(const Poco::JSON::Array::Ptr& array, const std::string& value)
{
    for (std::size_t i = 0; i < array->size(); ++i) {
        if (array->getElement<std::string>(static_cast<unsigned>(i)) == value)
            return true;
    }
    return false;
}

std::int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace

class CredentialCacheServerTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(CredentialCacheServerTest);
    CPPUNIT_TEST(logoutEndsACachedSession);
    CPPUNIT_TEST(sessionRevokeEndsACachedSession);
    CPPUNIT_TEST(tokenDeletionEndsACachedToken);
    CPPUNIT_TEST(passwordChangeOverHttpEndsOtherCachedSessions);
    CPPUNIT_TEST(cliPasswdEndsCachedTokensAndSessions);
    CPPUNIT_TEST(roleAndGroupChangesShowOnTheNextRequest);
    CPPUNIT_TEST(groupTableChangeShowsOnTheNextRequest);
    CPPUNIT_TEST(policyReloadShowsOnTheNextRequest);
    CPPUNIT_TEST(mfaChangesShowOnTheNextRequest);
    CPPUNIT_TEST(ipBlockAppliesOnTheNextRequest);
    CPPUNIT_TEST(userDeletionOverHttpEndsCachedCredentials);
    CPPUNIT_TEST(cliUserDeletionEndsCachedCredentials);
    CPPUNIT_TEST(swarmSessionsAreCachedAndEndWithTheirCredential);
    CPPUNIT_TEST(cacheIsBoundedAndExportedInMetrics);
    CPPUNIT_TEST(cacheCanBeTurnedOff);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { startServer({}); }
    void tearDown() override
    {
        _client.reset();
        _server.reset();
    }

    void logoutEndsACachedSession()
    {
        const auto [token, session] = cachedUser("dora");
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/logout", bearer(session)).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get(sessionsRoute, bearer(session)).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(sessionsRoute, bearer(token)).status);
    }

    void sessionRevokeEndsACachedSession()
    {
        const auto [token, first] = cachedUser("dora");
        const std::string second = login("dora", userPassword);
        use(second);
        std::string secondJti;
        auto list = _client->get(sessionsRoute, bearer(first)).json()->getArray("sessions");
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto entry = list->getObject(static_cast<unsigned>(i));
            if (!entry->getValue<bool>("is_current"))
                secondJti = entry->getValue<std::string>("jti");
        }
        CPPUNIT_ASSERT(!secondJti.empty());
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/mss-login/me/sessions/revoke", json({{"jti", secondJti}}),
                                                    bearer(first)).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get(sessionsRoute, bearer(second)).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(sessionsRoute, bearer(first)).status);
    }

    void tokenDeletionEndsACachedToken()
    {
        const auto [token, session] = cachedUser("dora");
        const auto tokens = _client->get("/mss-login/api/tokens", bearer(session)).json()->getArray("tokens");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tokens->size());
        const std::string prefix = tokens->getObject(0)->getValue<std::string>("token_hash_prefix");
        CPPUNIT_ASSERT_EQUAL(200, _client->request("DELETE", "/mss-login/api/tokens",
                                                   json({{"token_hash_prefix", prefix}}),
                                                   {{"Authorization", "Bearer " + session},
                                                    {"Content-Type", "application/json"}}).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get(sessionsRoute, bearer(token)).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(sessionsRoute, bearer(session)).status);
    }

    void passwordChangeOverHttpEndsOtherCachedSessions()
    {
        const auto [token, other] = cachedUser("dora");
        const std::string current = login("dora", userPassword);
        use(current);
        auto swarm = _client->postJson("/API/GetNewSession", "{}", bearer(current));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(swarm.body, 200, swarm.status);
        const std::string sessionId = swarm.json()->getValue<std::string>("session_id");
        auto changed = _client->postJson("/API/ChangePassword",
                                         "{\"session_id\":\"" + sessionId + "\",\"oldPassword\":\"" + userPassword +
                                             "\",\"newPassword\":\"amber-cascade-77\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(changed.body, 200, changed.status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get(sessionsRoute, bearer(other)).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(sessionsRoute, bearer(current)).status);
    }

    void cliPasswdEndsCachedTokensAndSessions()
    {
        const auto [token, session] = cachedUser("dora");
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, _server->runCommand({"user", "passwd", "dora", "--password-stdin"}, out, err,
                                                                 "amber-cascade-77\n"));
        CPPUNIT_ASSERT_EQUAL(401, _client->get(sessionsRoute, bearer(token)).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get(sessionsRoute, bearer(session)).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->postJson("/login", json({{"username", "dora"}, {"password", userPassword}})).status);
        use(login("dora", "amber-cascade-77")); // a credential made after the reset works
    }

    void roleAndGroupChangesShowOnTheNextRequest()
    {
        const auto [token, session] = cachedUser("dora");
        CPPUNIT_ASSERT(contains(me(token)->getArray("permissions"), "can_have_api_tokens"));
        CPPUNIT_ASSERT_EQUAL(200, _client->request("PUT", "/mss-login/api/users/dora", "{\"groups\":[\"user\",\"artists\"]}",
                                                   bearer(_owner)).status);
        for (const std::string& credential : {token, session}) {
            const auto answer = me(credential);
            CPPUNIT_ASSERT_EQUAL(std::string("user"), answer->getValue<std::string>("role"));
            CPPUNIT_ASSERT(contains(answer->getArray("groups"), "artists"));
            CPPUNIT_ASSERT(!contains(answer->getArray("permissions"), "can_have_api_tokens"));
        }
        CPPUNIT_ASSERT_EQUAL(200, _client->request("PUT", "/mss-login/api/users/dora", "{\"groups\":[\"power\"]}",
                                                   bearer(_owner)).status);
        const auto promoted = me(token);
        CPPUNIT_ASSERT_EQUAL(std::string("power"), promoted->getValue<std::string>("role"));
        CPPUNIT_ASSERT(!contains(promoted->getArray("groups"), "artists"));
        CPPUNIT_ASSERT(contains(promoted->getArray("permissions"), "can_have_api_tokens"));
    }

    void groupTableChangeShowsOnTheNextRequest()
    {
        const auto [token, session] = cachedUser("dora");
        CPPUNIT_ASSERT(!contains(me(token)->getArray("permissions"), "can_see_restricted_settings"));
        CPPUNIT_ASSERT_EQUAL(200, _client->request("PUT", "/mss-login/api/groups",
                                                   "{\"groups\":{\"power\":{\"can_see_restricted_settings\":true}}}",
                                                   bearer(_owner)).status);
        CPPUNIT_ASSERT(contains(me(token)->getArray("permissions"), "can_see_restricted_settings"));
        CPPUNIT_ASSERT(contains(me(session)->getArray("permissions"), "can_see_restricted_settings"));
    }

    void policyReloadShowsOnTheNextRequest()
    {
        comfygate::test::TempDir policies;
        writeGroupsHook(policies, "");
        startServer({{"policy.dir", policies.path()}});
        const auto [token, session] = cachedUser("dora");
        CPPUNIT_ASSERT(!contains(me(token)->getArray("permissions"), "can_view_console"));
        writeGroupsHook(policies, "can_view_console");
        auto reloaded = _client->postJson("/mss-login/api/admin/policies/reload", "{}", bearer(_owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(reloaded.body, 200, reloaded.status);
        CPPUNIT_ASSERT(contains(me(token)->getArray("permissions"), "can_view_console"));
        CPPUNIT_ASSERT(contains(me(session)->getArray("permissions"), "can_view_console"));
    }

    void mfaChangesShowOnTheNextRequest()
    {
        const auto [token, session] = cachedUser("dora");
        CPPUNIT_ASSERT(!me(token)->getValue<bool>("mfa_enabled"));
        auto setup = _client->postJson("/mss-login/api/mfa/setup", "{}", bearer(session));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(setup.body, 200, setup.status);
        const std::string secret = setup.json()->getValue<std::string>("secret");
        const std::string code = comfygate::auth::Totp::code(secret, comfygate::auth::Totp::stepAt(unixNow()));
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/mss-login/api/mfa/verify-setup", json({{"code", code}}),
                                                    bearer(session)).status);
        CPPUNIT_ASSERT(me(token)->getValue<bool>("mfa_enabled"));
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, _server->runCommand({"user", "reset-mfa", "dora"}, out, err));
        CPPUNIT_ASSERT(!me(token)->getValue<bool>("mfa_enabled"));
        CPPUNIT_ASSERT(!me(session)->getValue<bool>("mfa_enabled"));
    }

    void ipBlockAppliesOnTheNextRequest()
    {
        // The test client stands for two addresses through a trusted proxy (itself).
        startServer({{"http.trusted_proxies", "127.0.0.1/32"}});
        const Headers remote{{"X-Forwarded-For", "203.0.113.7"}};
        const auto [token, session] = cachedUser("dora");
        Headers fromRemote = bearer(token);
        fromRemote.insert(remote.begin(), remote.end());
        CPPUNIT_ASSERT_EQUAL(200, _client->get(sessionsRoute, fromRemote).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(sessionsRoute, fromRemote).status);
        auto blocked = _client->request("PUT", "/mss-login/api/ip-lists", "{\"whitelist\":[],\"blacklist\":[\"203.0.113.7\"]}",
                                        {{"Authorization", "Bearer " + _owner}, {"Content-Type", "application/json"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(blocked.body, 200, blocked.status);
        CPPUNIT_ASSERT_EQUAL(403, _client->get(sessionsRoute, fromRemote).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(sessionsRoute, bearer(token)).status);
    }

    void userDeletionOverHttpEndsCachedCredentials()
    {
        const auto [token, session] = cachedUser("dora");
        CPPUNIT_ASSERT_EQUAL(200, _client->request("DELETE", "/mss-login/api/users/dora", {}, bearer(_owner)).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get(sessionsRoute, bearer(token)).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get(sessionsRoute, bearer(session)).status);
    }

    void cliUserDeletionEndsCachedCredentials()
    {
        const auto [token, session] = cachedUser("dora");
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, _server->runCommand({"user", "delete", "dora"}, out, err));
        CPPUNIT_ASSERT_EQUAL(401, _client->get(sessionsRoute, bearer(token)).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get(sessionsRoute, bearer(session)).status);
        CPPUNIT_ASSERT_EQUAL(false, _client->get(meRoute, bearer(token)).json()->getValue<bool>("authenticated"));
    }

    void swarmSessionsAreCachedAndEndWithTheirCredential()
    {
        const auto [token, session] = cachedUser("dora");
        const std::string fromToken = swarmSession(token);
        const std::string fromSession = swarmSession(session);
        useSwarm(fromToken, 200);
        useSwarm(fromSession, 200);
        // Used again: answered from the cache, not the database.
        const double hitsBefore = metric("comfygate_auth_credential_cache_hits");
        useSwarm(fromToken, 200);
        useSwarm(fromSession, 200);
        CPPUNIT_ASSERT(metric("comfygate_auth_credential_cache_hits") >= hitsBefore + 2);

        // Logout ends the session and every session_id made from it, on the next request.
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/logout", bearer(session)).status);
        useSwarm(fromSession, 401);
        useSwarm(fromToken, 200);
        // Deleting the token ends the session_ids made from it.
        const std::string other = login("dora", userPassword);
        const auto tokens = _client->get("/mss-login/api/tokens", bearer(other)).json()->getArray("tokens");
        const std::string prefix = tokens->getObject(0)->getValue<std::string>("token_hash_prefix");
        CPPUNIT_ASSERT_EQUAL(200, _client->request("DELETE", "/mss-login/api/tokens", json({{"token_hash_prefix", prefix}}),
                                                   {{"Authorization", "Bearer " + other},
                                                    {"Content-Type", "application/json"}}).status);
        useSwarm(fromToken, 401);
        // A password change from the CLI (another process) ends the rest.
        const std::string fromOther = swarmSession(other);
        useSwarm(fromOther, 200);
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, _server->runCommand({"user", "passwd", "dora", "--password-stdin"}, out, err,
                                                                 "amber-cascade-77\n"));
        useSwarm(fromOther, 401);
    }

    void cacheIsBoundedAndExportedInMetrics()
    {
        startServer({{"auth.credential_cache_entries", "3"}});
        CPPUNIT_ASSERT_EQUAL(3.0, metric("comfygate_auth_credential_cache_capacity"));
        addUser("dora");
        std::vector<std::string> tokens;
        for (int i = 0; i < 5; ++i)
            tokens.push_back(createToken("dora"));
        const double hitsBefore = metric("comfygate_auth_credential_cache_hits");
        for (const auto& token : tokens)
            use(token);
        CPPUNIT_ASSERT_EQUAL(3.0, metric("comfygate_auth_credential_cache_entries"));
        CPPUNIT_ASSERT(metric("comfygate_auth_credential_cache_hits") >= hitsBefore + 5);
        CPPUNIT_ASSERT(metric("comfygate_auth_credential_cache_misses") >= 5);
        CPPUNIT_ASSERT(metric("comfygate_permissions_effective_cache_entries") >= 1);
        CPPUNIT_ASSERT(metric("comfygate_permissions_effective_cache_hits") >= 1);
    }

    void cacheCanBeTurnedOff()
    {
        startServer({{"auth.credential_cache_entries", "0"}, {"permissions.effective_cache_entries", "0"}});
        const auto [token, session] = cachedUser("dora");
        CPPUNIT_ASSERT_EQUAL(0.0, metric("comfygate_auth_credential_cache_entries"));
        CPPUNIT_ASSERT_EQUAL(0.0, metric("comfygate_permissions_effective_cache_entries"));
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL(0, _server->runCommand({"user", "delete", "dora"}, out, err));
        CPPUNIT_ASSERT_EQUAL(401, _client->get(sessionsRoute, bearer(token)).status);
    }

private:
    void startServer(std::map<std::string, std::string> extra)
    {
        _client.reset();
        _server.reset();
        extra.emplace("modules.enabled", "auth");
        _server = std::make_unique<ServerProcess>(extra, Headers{{"SECRET_KEY", "integration-test-secret-key-0123456789abcdef"}});
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, _server->runCommand({"user", "add", "owner", "--role", "owner", "--password-stdin"},
                                                                 out, err, ownerPassword + "\n"));
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
        _owner = login("owner", ownerPassword);
    }

    void addUser(const std::string& name)
    {
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, _server->runCommand({"user", "add", name, "--role", "power", "--password-stdin"},
                                                                 out, err, userPassword + "\n"));
    }

    std::string createToken(const std::string& name)
    {
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(out + err, 0, _server->runCommand({"token", "create", name, "--label", "script"}, out, err));
        return out.substr(0, out.find('\n'));
    }

    /// A new power user (who may have API tokens) with an API token and a session, each used twice: cached from now on.
    std::pair<std::string, std::string> cachedUser(const std::string& name)
    {
        addUser(name);
        const std::string token = createToken(name);
        const std::string session = login(name, userPassword);
        use(token);
        use(session);
        return {token, session};
    }

    void use(const std::string& credential)
    {
        for (int i = 0; i < 2; ++i) {
            const auto result = _client->get(sessionsRoute, bearer(credential));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        }
    }

    std::string swarmSession(const std::string& credential)
    {
        auto result = _client->postJson("/API/GetNewSession", "{}", bearer(credential));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("session_id");
    }

    /// A SwarmUI call with the session_id in the body, as SwarmUI's web client makes it.
    void useSwarm(const std::string& sessionId, int expectedStatus)
    {
        const auto result = _client->postJson("/API/ListMyAuthTokens", json({{"session_id", sessionId}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, expectedStatus, result.status);
        if (expectedStatus == 401)
            CPPUNIT_ASSERT_EQUAL(std::string("invalid_session_id"), result.json()->getValue<std::string>("error_id"));
    }

    std::string login(const std::string& user, const std::string& password)
    {
        auto result = _client->postJson("/login", json({{"username", user}, {"password", password}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("jwt_token");
    }

    Poco::JSON::Object::Ptr me(const std::string& credential)
    {
        auto result = _client->get(meRoute, bearer(credential));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        CPPUNIT_ASSERT(result.json()->getValue<bool>("authenticated"));
        return result.json();
    }

    double metric(const std::string& name)
    {
        const auto value = _server->metric(name);
        CPPUNIT_ASSERT_MESSAGE("no metric " + name, value);
        return *value;
    }

    /// A `groups` hook that grants `permission` to everyone (nothing when empty).
    static void writeGroupsHook(comfygate::test::TempDir& dir, const std::string& permission)
    {
        std::ofstream out(dir.file("groups.lua"), std::ios::trunc);
        out << "policy.on('groups', function(subject, request)\n";
        if (!permission.empty())
            out << "    local out = request.permissions\n    out[#out + 1] = '" << permission
                << "'\n    return { permissions = out }\n";
        out << "end)\n";
    }

    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
    std::string _owner;
};

CPPUNIT_TEST_SUITE_REGISTRATION(CredentialCacheServerTest);
