// The auth module in the real binary, over real HTTP: every route, happy and hostile.
#include "AuthRequests.h"
#include "HttpTestClient.h"
#include "JwtCodec.h"
#include "SealedSecrets.h"
#include "ServerProcess.h"
#include "Totp.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

#include <chrono>
#include <cstdlib>
#include <sstream>

using comfygate::test::HttpResult;
using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using Headers = std::map<std::string, std::string>;
using comfygate::test::bearer;
using comfygate::test::json;

namespace {

const std::string secretKey = "integration-test-secret-key-0123456789abcdef";
const std::string ownerPassword = "correct horse battery staple";

std::int64_t now()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string base64Url(const std::string& text)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder << text;
    encoder.close();
    return out.str();
}

} // namespace

class AuthServerTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(AuthServerTest);
    CPPUNIT_TEST(firstUserOnlyFromLoopbackThenAdminsOnly);
    CPPUNIT_TEST(loginJsonSetsLaxCookie);
    CPPUNIT_TEST(loginFormForBrowsersRedirects);
    CPPUNIT_TEST(wrongPasswordAndUnknownUserLookTheSame);
    CPPUNIT_TEST(lockoutEscalatesAndSurvivesRestart);
    CPPUNIT_TEST(forwardedForDoesNotDodgeTheLockout);
    CPPUNIT_TEST(meShowsRoleAndPermissions);
    CPPUNIT_TEST(logoutRevokesTheSession);
    CPPUNIT_TEST(forgedJwtsAreRefused);
    CPPUNIT_TEST(deletedUsersTokensDie);
    CPPUNIT_TEST(apiTokenLifecycle);
    CPPUNIT_TEST(apiTokenPermissions);
    CPPUNIT_TEST(queryTokenOnlyOnConfiguredPaths);
    CPPUNIT_TEST(cookieRequestsNeedOrigin);
    CPPUNIT_TEST(sessionsListAndRevoke);
    CPPUNIT_TEST(mfaEnrolLoginReplayAndBackupCodes);
    CPPUNIT_TEST(mfaTokenCreationInTheSameRoute);
    CPPUNIT_TEST(ownerRules);
    CPPUNIT_TEST(adminUsersAndGroups);
    CPPUNIT_TEST(ipListsValidateAndAutoBlacklist);
    CPPUNIT_TEST(swarmSessionsLiveAndDieWithTheirCredential);
    CPPUNIT_TEST(swarmLoginRegisterAndChangePassword);
    CPPUNIT_TEST(restartKeepsUsersSessionsAndTokens);
    CPPUNIT_TEST(cliManagesUsersAndTokens);
    CPPUNIT_TEST(anotherProcessRevokesOnTheNextRequest);
    CPPUNIT_TEST(mfaRequiredRolesEnrolAtLogin);
    CPPUNIT_TEST(cookieIsSecureOverHttps);
    CPPUNIT_TEST(startWithoutUsersSaysHowToCreateTheOwner);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { startServer({}); }
    void tearDown() override
    {
        _client.reset();
        _server.reset();
    }

    void firstUserOnlyFromLoopbackThenAdminsOnly()
    {
        startServer({}, false);
        // A remote client (as reported by a trusted proxy) may not create the first user,
        // and a client-sent X-Forwarded-For from the untrusted peer changes nothing.
        ServerProcess proxied(config({{"http.trusted_proxies", "127.0.0.1/32"}}), environment());
        proxied.start();
        auto remote = HttpTestClient(proxied.port())
                          .postJson("/register", json({{"new_user_username", "eve"}, {"new_user_password", "secret-apple-12345"}}),
                                    {{"X-Forwarded-For", "127.0.0.1, 203.0.113.7"}});
        CPPUNIT_ASSERT_EQUAL(403, remote.status);

        auto first = _client->postJson("/register", json({{"new_user_username", "boss"}, {"new_user_password", ownerPassword}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 200, first.status);
        CPPUNIT_ASSERT_EQUAL(std::string("User registered"), first.json()->getValue<std::string>("message"));
        auto second = _client->postJson("/register", json({{"new_user_username", "eve"}, {"new_user_password", "secret-apple-12345"}}));
        CPPUNIT_ASSERT_EQUAL(403, second.status);
        const std::string owner = login("boss", ownerPassword);
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), me(owner)->getValue<std::string>("role"));
        auto byAdmin = _client->postJson("/register", json({{"new_user_username", "eve"}, {"new_user_password", "secret-apple-12345"}}),
                                         bearer(owner));
        CPPUNIT_ASSERT_EQUAL(200, byAdmin.status);
        auto duplicate = _client->postJson("/register", json({{"new_user_username", "EVE"}, {"new_user_password", "secret-apple-12345"}}),
                                           bearer(owner));
        CPPUNIT_ASSERT_EQUAL(400, duplicate.status);
        auto weak = _client->postJson("/register", json({{"new_user_username", "weak"}, {"new_user_password", "password"}}),
                                      bearer(owner));
        CPPUNIT_ASSERT_EQUAL(400, weak.status);
        auto reserved = _client->postJson("/register", json({{"new_user_username", "guest"}, {"new_user_password", "pw-guest-12345"}}),
                                          bearer(owner));
        CPPUNIT_ASSERT_EQUAL(400, reserved.status);
    }

    void loginJsonSetsLaxCookie()
    {
        auto result = _client->postJson("/login", json({{"username", "owner"}, {"password", ownerPassword}}));
        CPPUNIT_ASSERT_EQUAL(200, result.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Login successful"), result.json()->getValue<std::string>("message"));
        const std::string jwt = result.json()->getValue<std::string>("jwt_token");
        CPPUNIT_ASSERT_EQUAL(2, static_cast<int>(std::count(jwt.begin(), jwt.end(), '.')));
        const std::string cookie = result.header("Set-Cookie");
        CPPUNIT_ASSERT(cookie.find("jwt_token=") == 0);
        CPPUNIT_ASSERT(cookie.find("HttpOnly") != std::string::npos);
        CPPUNIT_ASSERT(cookie.find("SameSite=Lax") != std::string::npos);
        CPPUNIT_ASSERT(Poco::toLower(cookie).find("path=/") != std::string::npos);
        CPPUNIT_ASSERT(cookie.find("Secure") == std::string::npos); // plain HTTP here
    }

    void loginFormForBrowsersRedirects()
    {
        auto result = _client->request("POST", "/login", "username=owner&password=correct+horse+battery+staple",
                                       {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "text/html"}});
        CPPUNIT_ASSERT_EQUAL(302, result.status);
        CPPUNIT_ASSERT_EQUAL(std::string("/"), result.header("Location"));
        CPPUNIT_ASSERT(result.header("Set-Cookie").find("jwt_token=") == 0);
        auto page = _client->get("/login", {{"Accept", "text/html"}});
        CPPUNIT_ASSERT_EQUAL(200, page.status);
        CPPUNIT_ASSERT(page.body.find("<form") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/login.js").status);

        const std::vector<std::pair<std::string, std::string>> returns{
            {"%2Fdocs%2Fa.html%3Fx%3D1", "/docs/a.html?x=1"}, {"%2F%2Fevil.example", "/"},
            {"https%3A%2F%2Fevil.example", "/"}, {"%2F%5Cevil.example", "/"}};
        for (const auto& [next, location] : returns) {
            auto back = _client->request("POST", "/login",
                                         "username=owner&password=correct+horse+battery+staple&next=" + next,
                                         {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "text/html"}});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(next, 302, back.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(next, location, back.header("Location"));
        }
        auto withNext = _client->get("/login?next=%2F%2Fevil.example", {{"Accept", "text/html"}});
        CPPUNIT_ASSERT(withNext.body.find("data-next=\"/\"") != std::string::npos);
        auto quoted = _client->get("/login?next=%2F%22%3E%3Cscript%3E", {{"Accept", "text/html"}});
        CPPUNIT_ASSERT(quoted.body.find("data-next=\"/&quot;&gt;&lt;script&gt;\"") != std::string::npos);
    }

    void wrongPasswordAndUnknownUserLookTheSame()
    {
        auto wrong = _client->postJson("/login", json({{"username", "owner"}, {"password", "nope-nope-nope"}}));
        auto unknown = _client->postJson("/login", json({{"username", "nobody"}, {"password", "nope-nope-nope"}}));
        CPPUNIT_ASSERT_EQUAL(401, wrong.status);
        CPPUNIT_ASSERT_EQUAL(401, unknown.status);
        CPPUNIT_ASSERT_EQUAL(wrong.json()->getValue<std::string>("error"), unknown.json()->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(400, _client->postJson("/login", "{}").status);
        CPPUNIT_ASSERT_EQUAL(400, _client->postJson("/login", "not json").status);
    }

    void lockoutEscalatesAndSurvivesRestart()
    {
        for (int i = 0; i < 3; ++i)
            CPPUNIT_ASSERT_EQUAL(401, _client->postJson("/login", json({{"username", "owner"}, {"password", "bad-" + std::to_string(i)}})).status);
        auto locked = _client->postJson("/login", json({{"username", "owner"}, {"password", ownerPassword}}));
        CPPUNIT_ASSERT_EQUAL(403, locked.status);
        const int remaining = locked.json()->getValue<int>("remaining_seconds");
        CPPUNIT_ASSERT(remaining > 50 && remaining <= 60);
        restart();
        CPPUNIT_ASSERT_EQUAL(403, _client->postJson("/login", json({{"username", "owner"}, {"password", ownerPassword}})).status);
    }

    void forwardedForDoesNotDodgeTheLockout()
    {
        for (int i = 0; i < 3; ++i)
            _client->postJson("/login", json({{"username", "nobody" + std::to_string(i)}, {"password", "x-x-x-x-x"}}),
                              {{"X-Forwarded-For", "198.51.100." + std::to_string(i)}, {"X-Real-IP", "198.51.100.9"}});
        // Three failures from the real address (127.0.0.1) lock it, whatever the headers said.
        auto locked = _client->postJson("/login", json({{"username", "owner"}, {"password", ownerPassword}}),
                                        {{"X-Forwarded-For", "203.0.113.50"}});
        CPPUNIT_ASSERT_EQUAL(403, locked.status);
    }

    void meShowsRoleAndPermissions()
    {
        const std::string token = login("owner", ownerPassword);
        auto self = me(token);
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), self->getValue<std::string>("username"));
        CPPUNIT_ASSERT(self->getValue<bool>("is_admin"));
        CPPUNIT_ASSERT(contains(self->getArray("permissions"), "can_manage_users"));
        CPPUNIT_ASSERT(contains(self->getArray("permissions"), "can_have_non_expiring_jwt"));
        CPPUNIT_ASSERT(self->getObject("experimental_features")->has("mfa"));
        auto twin = _client->get("/api/mss-login/api/me", bearer(token));
        CPPUNIT_ASSERT_EQUAL(200, twin.status);
        auto anonymous = _client->get("/mss-login/api/me").json();
        CPPUNIT_ASSERT_EQUAL(std::string("guest"), anonymous->getValue<std::string>("username"));
        CPPUNIT_ASSERT(!anonymous->getValue<bool>("authenticated"));
    }

    void logoutRevokesTheSession()
    {
        const std::string token = login("owner", ownerPassword);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/mss-login/me/sessions", bearer(token)).status);
        auto out = _client->get("/logout", bearer(token));
        CPPUNIT_ASSERT_EQUAL(200, out.status);
        CPPUNIT_ASSERT(out.header("Set-Cookie").find("jwt_token=;") != std::string::npos);
        CPPUNIT_ASSERT(out.header("Set-Cookie").find("swarm_token=;") != std::string::npos);
        auto after = _client->get("/mss-login/me/sessions", bearer(token));
        CPPUNIT_ASSERT_EQUAL(401, after.status);
        CPPUNIT_ASSERT(after.json()->getValue<std::string>("error").find("ended") != std::string::npos);
    }

    void forgedJwtsAreRefused()
    {
        const std::string good = login("owner", ownerPassword);
        const auto dot = good.find('.');
        const std::string payload = good.substr(dot + 1, good.rfind('.') - dot - 1);
        // alg none, with the real payload and no signature.
        const std::string none = base64Url("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"k1\"}") + "." + payload + ".";
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/me/sessions", bearer(none)).status);
        // HS512 header with the HS256 signature.
        const std::string hs512 = base64Url("{\"alg\":\"HS512\",\"typ\":\"JWT\",\"kid\":\"k1\"}") + good.substr(good.find('.'));
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/me/sessions", bearer(hs512)).status);
        // Tampered payload (another subject) under the original signature.
        std::string tampered = good;
        tampered[dot + 5] = tampered[dot + 5] == 'A' ? 'B' : 'A';
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/me/sessions", bearer(tampered)).status);

        // Correctly signed with the server's derived key, but wrong audience / expired /
        // wrong key: each refused on its own ground.
        comfygate::test::TempDir scratch;
        comfygate::SealedSecrets secrets(secretKey, scratch.file("unused.key"));
        const std::string key = secrets.deriveKey("session-jwt-hs256:k1", 32);
        const auto self = me(good);
        comfygate::auth::JwtCodec::Claims claims;
        claims.subject = self->getValue<std::string>("user_id");
        claims.jti = "0123456789abcdef0123456789abcdef";
        claims.issuedAt = now();
        claims.notBefore = now();
        claims.expiresAt = now() + 600;
        claims.type = "session";
        const comfygate::auth::JwtCodec wrongAudience({{"k1", key}}, "k1", "comfygate", "someone-else");
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/me/sessions", bearer(wrongAudience.sign(claims))).status);
        const comfygate::auth::JwtCodec wrongKey({{"k1", std::string(32, 'x')}}, "k1", "comfygate", "comfygate");
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/me/sessions", bearer(wrongKey.sign(claims))).status);
        const comfygate::auth::JwtCodec right({{"k1", key}}, "k1", "comfygate", "comfygate");
        claims.expiresAt = now() - 120;
        claims.issuedAt = now() - 600;
        claims.notBefore = claims.issuedAt;
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/me/sessions", bearer(right.sign(claims))).status);
        // Valid signature and claims but no session row (never issued): refused.
        claims.expiresAt = now() + 600;
        claims.issuedAt = now();
        claims.notBefore = now();
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/me/sessions", bearer(right.sign(claims))).status);
    }

    void deletedUsersTokensDie()
    {
        const std::string owner = login("owner", ownerPassword);
        createUser(owner, "dora", "quiet-river-stone-1", "power");
        const std::string session = login("dora", "quiet-river-stone-1");
        const std::string token = apiToken("dora", "quiet-river-stone-1");
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/mss-login/me/sessions", bearer(session)).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->request("DELETE", "/mss-login/api/users/dora", "", bearer(owner)).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/me/sessions", bearer(session)).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/api/tokens", bearer(token)).status);
    }

    void apiTokenLifecycle()
    {
        auto created = _client->postJson("/mss-login/generate_token",
                                         json({{"username", "owner"}, {"password", ownerPassword}, {"label", "phone"}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 200, created.status);
        CPPUNIT_ASSERT_EQUAL(std::string("API token created."), created.json()->getValue<std::string>("message"));
        CPPUNIT_ASSERT_EQUAL(720, created.json()->getValue<int>("expires_in_hours"));
        const std::string token = created.json()->getValue<std::string>("jwt_token");
        CPPUNIT_ASSERT(token.rfind("cgt_", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), me(token)->getValue<std::string>("username"));
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/mss-login/api/me", {{"X-API-Key", token}}).status);

        auto legacy = _client->postJson("/generate_token", json({{"username", "owner"}, {"password", ownerPassword}}));
        CPPUNIT_ASSERT_EQUAL(200, legacy.status);

        auto list = _client->get("/mss-login/api/tokens", bearer(token));
        CPPUNIT_ASSERT_EQUAL(200, list.status);
        auto tokens = list.json()->getArray("tokens");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), tokens->size());
        std::string prefix;
        for (std::size_t i = 0; i < tokens->size(); ++i) {
            auto item = tokens->getObject(static_cast<unsigned>(i));
            if (item->getValue<std::string>("label") == "phone")
                prefix = item->getValue<std::string>("token_hash_prefix");
        }
        CPPUNIT_ASSERT(!prefix.empty());
        CPPUNIT_ASSERT(list.body.find(token) == std::string::npos); // never echoed
        CPPUNIT_ASSERT_EQUAL(400, _client->request("DELETE", "/mss-login/api/tokens", json({{"token_hash_prefix", "ab"}}), bearer(token)).status);
        CPPUNIT_ASSERT_EQUAL(404, _client->request("DELETE", "/mss-login/api/tokens", json({{"token_hash_prefix", "00000000"}}), bearer(token)).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->request("DELETE", "/mss-login/api/tokens", json({{"token_hash_prefix", prefix}}), bearer(token)).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/api/tokens", bearer(token)).status);
    }

    void apiTokenPermissions()
    {
        const std::string owner = login("owner", ownerPassword);
        createUser(owner, "uma", "lunar-tide-88", "user");
        createUser(owner, "adam", "maple-frost-42", "admin");
        auto user = _client->postJson("/mss-login/generate_token", json({{"username", "uma"}, {"password", "lunar-tide-88"}}));
        CPPUNIT_ASSERT_EQUAL(403, user.status);
        Poco::JSON::Object forever;
        forever.set("username", "adam");
        forever.set("password", "maple-frost-42");
        forever.set("expire_hours", 0);
        std::ostringstream text;
        forever.stringify(text);
        CPPUNIT_ASSERT_EQUAL(403, _client->postJson("/mss-login/generate_token", text.str()).status);
        auto bySession = _client->postJson("/mss-login/generate_token", "{\"expire_hours\":0}", bearer(owner));
        CPPUNIT_ASSERT_EQUAL(200, bySession.status);
        CPPUNIT_ASSERT_EQUAL(0, bySession.json()->getValue<int>("expires_in_hours"));
        auto clamped = _client->postJson("/mss-login/generate_token", "{\"expire_hours\":999999}", bearer(owner));
        CPPUNIT_ASSERT_EQUAL(8760, clamped.json()->getValue<int>("expires_in_hours"));
    }

    void queryTokenOnlyOnConfiguredPaths()
    {
        startServer({{"auth.query_token_paths", "/mss-login/api/me"}});
        const std::string token = login("owner", ownerPassword);
        auto ok = _client->get("/mss-login/api/me?token=" + token).json();
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), ok->getValue<std::string>("username"));
        auto alt = _client->get("/mss-login/api/me?access_token=" + token).json();
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), alt->getValue<std::string>("username"));
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/me/sessions?token=" + token).status);
    }

    void cookieRequestsNeedOrigin()
    {
        auto result = _client->postJson("/login", json({{"username", "owner"}, {"password", ownerPassword}}));
        const std::string cookie = "jwt_token=" + result.json()->getValue<std::string>("jwt_token");
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/mss-login/me/sessions", {{"Cookie", cookie}}).status);
        const std::string body = json({{"jti", "unknown"}});
        auto noOrigin = _client->postJson("/mss-login/me/sessions/revoke", body, {{"Cookie", cookie}});
        CPPUNIT_ASSERT_EQUAL(403, noOrigin.status);
        auto evil = _client->postJson("/mss-login/me/sessions/revoke", body, {{"Cookie", cookie}, {"Origin", "https://evil.example"}});
        CPPUNIT_ASSERT_EQUAL(403, evil.status);
        auto nullOrigin = _client->postJson("/mss-login/me/sessions/revoke", body, {{"Cookie", cookie}, {"Origin", "null"}});
        CPPUNIT_ASSERT_EQUAL(403, nullOrigin.status);
        const std::string own = "http://127.0.0.1:" + std::to_string(_server->port());
        auto same = _client->postJson("/mss-login/me/sessions/revoke", body,
                                      {{"Cookie", cookie}, {"Origin", own}, {"Host", "127.0.0.1:" + std::to_string(_server->port())}});
        CPPUNIT_ASSERT_EQUAL(404, same.status); // passed CSRF, unknown jti
        // API tokens are never taken from cookies.
        const std::string token = apiToken("owner", ownerPassword);
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/me/sessions", {{"Cookie", "jwt_token=" + token}}).status);
    }

    void sessionsListAndRevoke()
    {
        const std::string first = login("owner", ownerPassword);
        const std::string second = login("owner", ownerPassword);
        auto list = _client->get("/mss-login/me/sessions", bearer(first)).json()->getArray("sessions");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), list->size());
        std::string otherJti;
        int current = 0;
        for (std::size_t i = 0; i < list->size(); ++i) {
            auto item = list->getObject(static_cast<unsigned>(i));
            if (item->getValue<bool>("is_current"))
                ++current;
            else
                otherJti = item->getValue<std::string>("jti");
        }
        CPPUNIT_ASSERT_EQUAL(1, current);
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/mss-login/me/sessions/revoke", json({{"jti", otherJti}}), bearer(first)).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/me/sessions", bearer(second)).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/mss-login/me/sessions", bearer(first)).status);
    }

    void mfaEnrolLoginReplayAndBackupCodes()
    {
        const std::string session = login("owner", ownerPassword);
        auto setup = _client->postJson("/mss-login/api/mfa/setup", "{}", bearer(session));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(setup.body, 200, setup.status);
        const std::string secret = setup.json()->getValue<std::string>("secret");
        CPPUNIT_ASSERT(setup.json()->getValue<std::string>("provisioning_uri").find("otpauth://totp/") == 0);
        const std::string backup = setup.json()->getArray("backup_codes")->getElement<std::string>(3);
        CPPUNIT_ASSERT_EQUAL(400, _client->postJson("/mss-login/api/mfa/verify-setup", json({{"code", "000000"}}), bearer(session)).status);
        const auto step = comfygate::auth::Totp::stepAt(now());
        auto enabled = _client->postJson("/mss-login/api/mfa/verify-setup",
                                         json({{"code", comfygate::auth::Totp::code(secret, step)}}), bearer(session));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(enabled.body, 200, enabled.status);
        CPPUNIT_ASSERT(me(session)->getValue<bool>("mfa_enabled"));

        // Login now stops at the second factor.
        auto challenge = _client->postJson("/login", json({{"username", "owner"}, {"password", ownerPassword}})).json();
        CPPUNIT_ASSERT(challenge->getValue<bool>("mfa_required"));
        CPPUNIT_ASSERT(!challenge->has("jwt_token"));
        const std::string temp = challenge->getValue<std::string>("mfa_temp_token");
        // The code used for enrolment cannot be replayed; the next step's code works.
        auto replay = _client->postJson("/mss-login/api/mfa/verify",
                                        json({{"mfa_temp_token", temp}, {"code", comfygate::auth::Totp::code(secret, step)}}));
        CPPUNIT_ASSERT_EQUAL(400, replay.status);
        CPPUNIT_ASSERT_EQUAL(4, replay.json()->getValue<int>("remaining_attempts"));
        auto verified = _client->postJson("/mss-login/api/mfa/verify",
                                          json({{"mfa_temp_token", temp}, {"code", comfygate::auth::Totp::code(secret, step + 1)}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(verified.body, 200, verified.status);
        const std::string mfaSession = verified.json()->getValue<std::string>("jwt_token");
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/mss-login/me/sessions", bearer(mfaSession)).status);
        // The temp token was single use.
        CPPUNIT_ASSERT_EQUAL(401, _client->postJson("/mss-login/api/mfa/verify",
                                                    json({{"mfa_temp_token", temp}, {"code", comfygate::auth::Totp::code(secret, step + 1)}})).status);
        // A backup code works once.
        auto again = _client->postJson("/login", json({{"username", "owner"}, {"password", ownerPassword}})).json();
        auto viaBackup = _client->postJson("/mss-login/api/mfa/verify",
                                           json({{"mfa_temp_token", again->getValue<std::string>("mfa_temp_token")}, {"backup_code", backup}}));
        CPPUNIT_ASSERT_EQUAL(200, viaBackup.status);
        auto third = _client->postJson("/login", json({{"username", "owner"}, {"password", ownerPassword}})).json();
        CPPUNIT_ASSERT_EQUAL(400, _client->postJson("/mss-login/api/mfa/verify",
                                                    json({{"mfa_temp_token", third->getValue<std::string>("mfa_temp_token")}, {"backup_code", backup}})).status);
    }

    void mfaTokenCreationInTheSameRoute()
    {
        const std::string session = login("owner", ownerPassword);
        const std::string secret = enrolMfa(session);
        auto challenge = _client->postJson("/mss-login/generate_token",
                                           json({{"username", "owner"}, {"password", ownerPassword}, {"label", "ci"}}));
        CPPUNIT_ASSERT_EQUAL(200, challenge.status);
        CPPUNIT_ASSERT(challenge.json()->getValue<bool>("mfa_required"));
        const auto step = comfygate::auth::Totp::stepAt(now()) + 1;
        auto token = _client->postJson("/mss-login/generate_token",
                                       json({{"mfa_temp_token", challenge.json()->getValue<std::string>("mfa_temp_token")},
                                             {"code", comfygate::auth::Totp::code(secret, step)}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(token.body, 200, token.status);
        CPPUNIT_ASSERT(token.json()->getValue<std::string>("jwt_token").rfind("cgt_", 0) == 0);
    }

    void ownerRules()
    {
        const std::string owner = login("owner", ownerPassword);
        createUser(owner, "adam", "maple-frost-42", "admin");
        const std::string admin = login("adam", "maple-frost-42");
        CPPUNIT_ASSERT_EQUAL(400, _client->request("DELETE", "/mss-login/api/users/owner", "", bearer(admin)).status);
        CPPUNIT_ASSERT_EQUAL(403, _client->request("PUT", "/mss-login/api/users/owner", "{\"groups\":[\"user\"]}", bearer(admin)).status);
        CPPUNIT_ASSERT_EQUAL(403, _client->request("PUT", "/mss-login/api/users/adam", "{\"groups\":[\"owner\"]}", bearer(admin)).status);
        CPPUNIT_ASSERT_EQUAL(400, _client->request("DELETE", "/mss-login/api/users/guest", "", bearer(owner)).status);
        CPPUNIT_ASSERT_EQUAL(403, _client->postJson("/mss-login/api/owner/transfer", json({{"username", "adam"}}), bearer(admin)).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/mss-login/api/owner/transfer", json({{"username", "adam"}}), bearer(owner)).status);
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), me(admin)->getValue<std::string>("role"));
        CPPUNIT_ASSERT_EQUAL(std::string("admin"), me(owner)->getValue<std::string>("role"));
    }

    void adminUsersAndGroups()
    {
        const std::string owner = login("owner", ownerPassword);
        createUser(owner, "uma", "lunar-tide-88", "user");
        const std::string user = login("uma", "lunar-tide-88");
        CPPUNIT_ASSERT_EQUAL(403, _client->get("/mss-login/api/users", bearer(user)).status);
        CPPUNIT_ASSERT_EQUAL(403, _client->get("/mss-login/api/groups", bearer(user)).status);
        auto users = _client->get("/mss-login/api/users", bearer(owner));
        CPPUNIT_ASSERT_EQUAL(200, users.status);
        CPPUNIT_ASSERT(users.body.find("password") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/api/mss-login/api/users", bearer(owner)).status);

        CPPUNIT_ASSERT_EQUAL(400, _client->request("PUT", "/mss-login/api/groups", "{\"groups\":{\"user\":{\"no_such_flag\":true}}}", bearer(owner)).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->request("PUT", "/mss-login/api/groups", "{\"groups\":{\"user\":{\"can_have_api_tokens\":true}}}", bearer(owner)).status);
        auto groups = _client->get("/mss-login/api/groups", bearer(owner)).json()->getObject("groups");
        CPPUNIT_ASSERT(groups->getObject("user")->getValue<bool>("can_have_api_tokens"));
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/mss-login/generate_token", "{}", bearer(user)).status);
        restart(); // the role table is persisted
        const std::string again = login("uma", "lunar-tide-88");
        CPPUNIT_ASSERT(contains(me(again)->getArray("permissions"), "can_have_api_tokens"));

        CPPUNIT_ASSERT_EQUAL(200, _client->request("PUT", "/mss-login/api/users/uma", "{\"groups\":[\"power\"],\"sfw_check\":false}",
                                                   bearer(login("owner", ownerPassword))).status);
        CPPUNIT_ASSERT_EQUAL(std::string("power"), me(again)->getValue<std::string>("role"));
        CPPUNIT_ASSERT_EQUAL(404, _client->request("PUT", "/mss-login/api/users/nobody", "{\"groups\":[\"user\"]}",
                                                   bearer(login("owner", ownerPassword))).status);

        CPPUNIT_ASSERT(!_client->get("/mss-login/api/settings/guest-jwt", bearer(again)).json()->getValue<bool>("allow_guest_jwt"));
        CPPUNIT_ASSERT_EQUAL(403, _client->postJson("/login", "{\"guest_login\":\"true\"}").status);
        CPPUNIT_ASSERT_EQUAL(200, _client->request("PUT", "/mss-login/api/settings/guest-jwt", "{\"allow_guest_jwt\":true}",
                                                   bearer(login("owner", ownerPassword))).status);
        auto guest = _client->postJson("/login", "{\"guest_login\":\"true\"}");
        CPPUNIT_ASSERT_EQUAL(200, guest.status);
        CPPUNIT_ASSERT_EQUAL(std::string("guest"), me(guest.json()->getValue<std::string>("jwt_token"))->getValue<std::string>("role"));
    }

    void ipListsValidateAndAutoBlacklist()
    {
        const std::string owner = login("owner", ownerPassword);
        CPPUNIT_ASSERT_EQUAL(400, _client->request("PUT", "/mss-login/api/ip-lists", "{\"whitelist\":[\"10.0.0.0/33\"]}", bearer(owner)).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->request("PUT", "/mss-login/api/ip-lists",
                                                   "{\"whitelist\":[\"10.0.0.0/8\"],\"blacklist\":[\"203.0.113.9\",{\"ip\":\"2001:db8::/32\",\"permanent\":false,\"expires_in_hours\":2}]}",
                                                   bearer(owner)).status);
        auto lists = _client->get("/mss-login/api/ip-lists", bearer(owner)).json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), lists->getArray("whitelist")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), lists->getArray("blacklist")->size());

        startServer({{"auth.blacklist_after_attempts", "4"}, {"auth.lockout_steps", "50:60"}});
        for (int i = 0; i < 4; ++i)
            _client->postJson("/login", json({{"username", "owner"}, {"password", "wrong-" + std::to_string(i)}}));
        auto blocked = _client->get("/mss-login/api/me");
        CPPUNIT_ASSERT_EQUAL(403, blocked.status);
        CPPUNIT_ASSERT_EQUAL(std::string("ip_blocked"), blocked.json()->getValue<std::string>("code"));
    }

    void swarmSessionsLiveAndDieWithTheirCredential()
    {
        const std::string token = apiToken("owner", ownerPassword);
        auto created = _client->postJson("/API/GetNewSession", "{}", bearer(token));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 200, created.status);
        auto session = created.json();
        const std::string sessionId = session->getValue<std::string>("session_id");
        CPPUNIT_ASSERT_EQUAL(std::size_t(40), sessionId.size());
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), session->getValue<std::string>("user_id"));
        CPPUNIT_ASSERT(session->has("server_id") && session->has("version") && session->getValue<bool>("output_append_user"));
        CPPUNIT_ASSERT(contains(session->getArray("permissions"), "can_manage_users"));

        auto unknown = _client->postJson("/API/Logout", json({{"session_id", std::string(40, 'a')}}));
        CPPUNIT_ASSERT_EQUAL(401, unknown.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_session_id"), unknown.json()->getValue<std::string>("error_id"));
        // No credential at all on a route that needs a session: SwarmUI's dispatcher says basic_api.
        auto none = _client->postJson("/API/Logout", "{}");
        CPPUNIT_ASSERT_EQUAL(400, none.status);
        CPPUNIT_ASSERT_EQUAL(std::string("basic_api"), none.json()->getValue<std::string>("error_id"));

        // The session_id works in the body and in X-Session-ID, until its token is revoked.
        // Accepted as a credential (the handler runs and refuses the wrong old password).
        auto wrongOld = _client->postJson("/API/ChangePassword",
                                          json({{"session_id", sessionId}, {"oldPassword", "wrong-wrong"}, {"newPassword", "x"}}));
        CPPUNIT_ASSERT_EQUAL(401, wrongOld.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_login"), wrongOld.json()->getValue<std::string>("error_id"));
        auto prefix = _client->get("/mss-login/api/tokens", bearer(token)).json()->getArray("tokens")->getObject(0)->getValue<std::string>("token_hash_prefix");
        CPPUNIT_ASSERT_EQUAL(200, _client->request("DELETE", "/mss-login/api/tokens", json({{"token_hash_prefix", prefix}}), bearer(token)).status);
        auto dead = _client->postJson("/API/Logout", "{}", {{"X-Session-ID", sessionId}});
        CPPUNIT_ASSERT_EQUAL(401, dead.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_session_id"), dead.json()->getValue<std::string>("error_id"));
    }

    void swarmLoginRegisterAndChangePassword()
    {
        auto bad = _client->postJson("/API/Login", json({{"username", "owner"}, {"password", "nope-nope"}}));
        CPPUNIT_ASSERT_EQUAL(401, bad.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_login"), bad.json()->getValue<std::string>("error_id"));
        auto good = _client->postJson("/API/Login", json({{"username", "owner"}, {"password", ownerPassword}}));
        CPPUNIT_ASSERT_EQUAL(200, good.status);
        CPPUNIT_ASSERT_EQUAL(std::string("true"), good.json()->getValue<std::string>("success"));
        const std::string cookie = good.header("Set-Cookie").substr(0, good.header("Set-Cookie").find(';'));
        CPPUNIT_ASSERT(cookie.rfind("swarm_token=", 0) == 0);
        auto session = _client->postJson("/API/GetNewSession", "{}", {{"Cookie", cookie}, {"Origin", origin()}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(session.body, 200, session.status);
        const std::string sessionId = session.json()->getValue<std::string>("session_id");

        auto closed = _client->postJson("/API/RegisterBasic", json({{"username", "newbie"}, {"password", "velvet-garden-9"}}));
        CPPUNIT_ASSERT_EQUAL(403, closed.status);
        CPPUNIT_ASSERT_EQUAL(std::string("registration_failed"), closed.json()->getValue<std::string>("error_id"));

        auto wrongOld = _client->postJson("/API/ChangePassword", json({{"session_id", sessionId}, {"oldPassword", "nope-nope"}, {"newPassword", "brand-new-password"}}));
        CPPUNIT_ASSERT_EQUAL(401, wrongOld.status);
        auto changed = _client->postJson("/API/ChangePassword", json({{"session_id", sessionId}, {"oldPassword", ownerPassword}, {"newPassword", "brand-new-password"}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(changed.body, 200, changed.status);
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/login", json({{"username", "owner"}, {"password", "brand-new-password"}})).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->postJson("/login", json({{"username", "owner"}, {"password", ownerPassword}})).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/API/Logout", json({{"session_id", sessionId}})).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->postJson("/API/Logout", json({{"session_id", sessionId}})).status);

        startServer({{"auth.allow_registration", "true"}});
        auto open = _client->postJson("/API/RegisterBasic", json({{"username", "newbie"}, {"password", "velvet-garden-9"}}));
        CPPUNIT_ASSERT_EQUAL(200, open.status);
        CPPUNIT_ASSERT_EQUAL(std::string("user"), me(login("newbie", "velvet-garden-9"))->getValue<std::string>("role"));
        auto taken = _client->postJson("/API/RegisterBasic", json({{"username", "newbie"}, {"password", "velvet-garden-9"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("username_exists"), taken.json()->getValue<std::string>("error_id"));
    }

    void restartKeepsUsersSessionsAndTokens()
    {
        const std::string session = login("owner", ownerPassword);
        const std::string token = apiToken("owner", ownerPassword);
        restart();
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), me(session)->getValue<std::string>("username"));
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), me(token)->getValue<std::string>("username"));
    }

    void cliManagesUsersAndTokens()
    {
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL(0, _server->runCommand({"user", "add", "carl", "--role", "power", "--password-stdin"}, out, err,
                                                    "orbit-lantern-7\n"));
        CPPUNIT_ASSERT_EQUAL(1, _server->runCommand({"user", "add", "carl2", "--password-stdin"}, out, err, "123456\n"));
        CPPUNIT_ASSERT_EQUAL(0, _server->runCommand({"user", "list"}, out, err));
        CPPUNIT_ASSERT(out.find("carl\tpower") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(0, _server->runCommand({"token", "create", "carl", "--label", "script", "--hours", "5"}, out, err));
        const std::string token = out.substr(0, out.find('\n'));
        CPPUNIT_ASSERT_EQUAL(std::string("carl"), me(token)->getValue<std::string>("username"));
        CPPUNIT_ASSERT_EQUAL(0, _server->runCommand({"user", "passwd", "carl", "--password-stdin"}, out, err, "orbit-lantern-8\n"));
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/login", json({{"username", "carl"}, {"password", "orbit-lantern-8"}})).status);
        CPPUNIT_ASSERT_EQUAL(0, _server->runCommand({"user", "reset-mfa", "carl"}, out, err));
        CPPUNIT_ASSERT_EQUAL(1, _server->runCommand({"user", "add", "second_owner", "--role", "owner", "--password-stdin"}, out, err,
                                                    "second-owner-pw\n"));
    }

    /// The credential read stays prepared on the server's own connections, yet a deletion
    /// committed by another process (the CLI) counts on the very next request.
    void anotherProcessRevokesOnTheNextRequest()
    {
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL(0, _server->runCommand({"user", "add", "dora", "--role", "power", "--password-stdin"}, out,
                                                    err, "orbit-lantern-9\n"));
        CPPUNIT_ASSERT_EQUAL(0, _server->runCommand({"token", "create", "dora", "--label", "script"}, out, err));
        const std::string token = out.substr(0, out.find('\n'));
        const std::string session = login("dora", "orbit-lantern-9");
        for (int i = 0; i < 3; ++i) { // the statements are prepared and reused by now
            CPPUNIT_ASSERT_EQUAL(std::string("dora"), me(token)->getValue<std::string>("username"));
            CPPUNIT_ASSERT_EQUAL(std::string("dora"), me(session)->getValue<std::string>("username"));
        }
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/mss-login/me/sessions", bearer(session)).status);
        CPPUNIT_ASSERT_EQUAL(0, _server->runCommand({"user", "delete", "dora"}, out, err));
        // /me answers anyone (as guest without a valid credential); this route needs one.
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/me/sessions", bearer(token)).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/me/sessions", bearer(session)).status);
        CPPUNIT_ASSERT_EQUAL(false, _client->get("/mss-login/api/me", bearer(token)).json()->getValue<bool>("authenticated"));
    }

    void mfaRequiredRolesEnrolAtLogin()
    {
        startServer({{"experimental.mfa", "true"}});
        // The owner holds mfa_required: login stops at enrolment, which then completes it.
        auto first = _client->postJson("/login", json({{"username", "owner"}, {"password", ownerPassword}})).json();
        CPPUNIT_ASSERT(first->getValue<bool>("mfa_setup_required"));
        CPPUNIT_ASSERT(!first->has("jwt_token"));
        const std::string temp = first->getValue<std::string>("mfa_temp_token");
        auto setup = _client->postJson("/mss-login/api/mfa/setup", json({{"mfa_temp_token", temp}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(setup.body, 200, setup.status);
        const std::string secret = setup.json()->getValue<std::string>("secret");
        auto done = _client->postJson("/mss-login/api/mfa/verify-setup",
                                      json({{"mfa_temp_token", temp},
                                            {"code", comfygate::auth::Totp::code(secret, comfygate::auth::Totp::stepAt(now()))}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(done.body, 200, done.status);
        const std::string session = done.json()->getValue<std::string>("jwt_token");
        CPPUNIT_ASSERT(me(session)->getValue<bool>("mfa_enabled"));
        // A user role without mfa_required signs in directly.
        createUser(session, "uma", "lunar-tide-88", "user");
        CPPUNIT_ASSERT(!login("uma", "lunar-tide-88").empty());
    }

    void cookieIsSecureOverHttps()
    {
        comfygate::test::TempDir certs;
        const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " +
                                    certs.file("key.pem") + " -out " + certs.file("cert.pem") + " 2>/dev/null";
        CPPUNIT_ASSERT_EQUAL(0, std::system(command.c_str()));
        _server.reset();
        ServerProcess tls(config({{"http.tls.cert", certs.file("cert.pem")}, {"http.tls.key", certs.file("key.pem")}}),
                          environment());
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL(0, tls.runCommand({"user", "add", "owner", "--role", "owner", "--password-stdin"}, out, err,
                                               ownerPassword + "\n"));
        tls.start();
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);
        Poco::Net::HTTPSClientSession session("127.0.0.1", static_cast<Poco::UInt16>(tls.port()), context);
        Poco::Net::HTTPRequest request("POST", "/login", Poco::Net::HTTPMessage::HTTP_1_1);
        const std::string body = json({{"username", "owner"}, {"password", ownerPassword}});
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::string answer;
        Poco::StreamCopier::copyToString(session.receiveResponse(response), answer);
        CPPUNIT_ASSERT_EQUAL(200, static_cast<int>(response.getStatus()));
        const std::string cookie = response.get("Set-Cookie", "");
        CPPUNIT_ASSERT_MESSAGE(cookie, Poco::toLower(cookie).find("secure") != std::string::npos);
        CPPUNIT_ASSERT(cookie.find("HttpOnly") != std::string::npos);
    }

    void startWithoutUsersSaysHowToCreateTheOwner()
    {
        startServer({}, false);
        CPPUNIT_ASSERT(_server->stderrText().find("comfygate user add NAME --role owner --password-stdin") !=
                       std::string::npos);
    }

private:
    std::map<std::string, std::string> config(std::map<std::string, std::string> extra) const
    {
        std::map<std::string, std::string> values{{"modules.enabled", "auth"}};
        for (auto& [key, value] : extra)
            values[key] = value;
        return values;
    }

    std::map<std::string, std::string> environment() const { return {{"SECRET_KEY", secretKey}}; }

    void startServer(std::map<std::string, std::string> extra, bool withOwner = true)
    {
        _client.reset();
        _server = std::make_unique<ServerProcess>(config(std::move(extra)), environment());
        if (withOwner) {
            std::string out, err;
            const int status = _server->runCommand({"user", "add", "owner", "--role", "owner", "--password-stdin"}, out, err,
                                                   ownerPassword + "\n");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, status);
        }
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
    }

    void restart()
    {
        _server->stop();
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
    }

    std::string origin() const { return "http://127.0.0.1:" + std::to_string(_server->port()); }

    std::string login(const std::string& user, const std::string& password)
    {
        auto result = _client->postJson("/login", json({{"username", user}, {"password", password}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("jwt_token");
    }

    std::string apiToken(const std::string& user, const std::string& password)
    {
        auto result = _client->postJson("/mss-login/generate_token", json({{"username", user}, {"password", password}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("jwt_token");
    }

    Poco::JSON::Object::Ptr me(const std::string& token)
    {
        auto result = _client->get("/mss-login/api/me", bearer(token));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json();
    }

    void createUser(const std::string& admin, const std::string& name, const std::string& password, const std::string& role)
    {
        auto created = _client->postJson("/register", json({{"new_user_username", name}, {"new_user_password", password}}), bearer(admin));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 200, created.status);
        if (role != "user")
            CPPUNIT_ASSERT_EQUAL(200, _client->request("PUT", "/mss-login/api/users/" + name, "{\"groups\":[\"" + role + "\"]}",
                                                       bearer(admin)).status);
    }

    std::string enrolMfa(const std::string& session)
    {
        auto setup = _client->postJson("/mss-login/api/mfa/setup", "{}", bearer(session));
        const std::string secret = setup.json()->getValue<std::string>("secret");
        auto enabled = _client->postJson("/mss-login/api/mfa/verify-setup",
                                         json({{"code", comfygate::auth::Totp::code(secret, comfygate::auth::Totp::stepAt(now()))}}),
                                         bearer(session));
        CPPUNIT_ASSERT_EQUAL(200, enabled.status);
        return secret;
    }

    static bool contains(const Poco::JSON::Array::Ptr& array, const std::string& value)
    {
        for (std::size_t i = 0; i < array->size(); ++i) {
            if (array->getElement<std::string>(static_cast<unsigned>(i)) == value)
                return true;
        }
        return false;
    }

    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
};

CPPUNIT_TEST_SUITE_REGISTRATION(AuthServerTest);
