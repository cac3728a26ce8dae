// The auth routes the web console's every-user pages use, over real HTTP from the real binary:
// POST /mss-login/api/me/password (errors that name their field, the other sessions end, the
// new password signs in) and the QR code in the MFA enrolment answer.
#include "AuthRequests.h"
#include "HttpTestClient.h"
#include "ServerProcess.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <regex>

using comfygate::test::bearer;
using comfygate::test::HttpResult;
using comfygate::test::HttpTestClient;
using comfygate::test::json;
using comfygate::test::ServerProcess;

namespace {

const std::string password = "quiet-meadow-4711";
const std::string newPassword = "another-longer-passphrase-2026";

} // namespace

class AccountSelfServiceTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(AccountSelfServiceTest);
    CPPUNIT_TEST(wrongCurrentPasswordNamesItsField);
    CPPUNIT_TEST(badNewPasswordNamesItsField);
    CPPUNIT_TEST(changeKeepsThisSessionAndEndsTheOthers);
    CPPUNIT_TEST(needsASignedInUser);
    CPPUNIT_TEST(mfaSetupAnswersWithAQrCode);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _server = std::make_unique<ServerProcess>(
            std::map<std::string, std::string>{{"modules.enabled", "auth"}},
            std::map<std::string, std::string>{{"SECRET_KEY", "account-self-service-test-secret-0123456789"}});
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0,
                                     _server->runCommand({"user", "add", "alice", "--role", "user", "--password-stdin"},
                                                         out, err, password + "\n"));
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
    }

    void tearDown() override
    {
        _client.reset();
        _server.reset();
    }

    void wrongCurrentPasswordNamesItsField()
    {
        const auto answer = change(login(password), "not-the-password", newPassword);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 400, answer.status);
        CPPUNIT_ASSERT_EQUAL(std::string("the current password is wrong"),
                             answer.json()->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(std::string("current_password"), answer.json()->getValue<std::string>("field"));
        CPPUNIT_ASSERT_EQUAL(401, loginStatus(newPassword));
    }

    void badNewPasswordNamesItsField()
    {
        const std::string session = login(password);
        const auto tooShort = change(session, password, "short");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(tooShort.body, 400, tooShort.status);
        CPPUNIT_ASSERT_EQUAL(std::string("new_password"), tooShort.json()->getValue<std::string>("field"));
        CPPUNIT_ASSERT_MESSAGE(tooShort.body,
                               tooShort.json()->getValue<std::string>("error").find("8") != std::string::npos);

        const auto missing =
            _client->postJson("/mss-login/api/me/password", json({{"current_password", password}}), bearer(session));
        CPPUNIT_ASSERT_EQUAL(400, missing.status);
        CPPUNIT_ASSERT_EQUAL(std::string("new_password"), missing.json()->getValue<std::string>("field"));
        CPPUNIT_ASSERT_EQUAL(std::string("new_password is required (a string)"),
                             missing.json()->getValue<std::string>("error"));
        // Nothing changed.
        CPPUNIT_ASSERT_EQUAL(200, loginStatus(password));
    }

    void changeKeepsThisSessionAndEndsTheOthers()
    {
        const std::string here = login(password);
        const std::string elsewhere = login(password);
        const auto answer = change(here, password, newPassword);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        CPPUNIT_ASSERT(answer.json()->has("message"));
        CPPUNIT_ASSERT(signedIn(here));
        CPPUNIT_ASSERT(!signedIn(elsewhere));
        CPPUNIT_ASSERT_EQUAL(401, loginStatus(password));
        CPPUNIT_ASSERT_EQUAL(200, loginStatus(newPassword));
        // The /api twin is the same route.
        const auto twin =
            _client->postJson("/api/mss-login/api/me/password",
                              json({{"current_password", newPassword}, {"new_password", password}}), bearer(here));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(twin.body, 200, twin.status);
        CPPUNIT_ASSERT_EQUAL(200, loginStatus(password));
    }

    void needsASignedInUser()
    {
        const auto anonymous = _client->postJson("/mss-login/api/me/password",
                                                 json({{"current_password", password}, {"new_password", newPassword}}));
        CPPUNIT_ASSERT_EQUAL(401, anonymous.status);
        CPPUNIT_ASSERT_EQUAL(200, loginStatus(password));
    }

    void mfaSetupAnswersWithAQrCode()
    {
        const auto setup = _client->postJson("/mss-login/api/mfa/setup", "{}", bearer(login(password)));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(setup.body, 200, setup.status);
        const std::string svg = setup.json()->getValue<std::string>("qr_svg");
        CPPUNIT_ASSERT_MESSAGE(
            svg, std::regex_search(
                     svg, std::regex("^<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 (\\d+) \\1\"")));
        CPPUNIT_ASSERT(svg.find("<path fill=\"#000\" d=\"M4 4h7v1h-7z") != std::string::npos);
        // A picture only: the secret is in it as modules, never as text.
        CPPUNIT_ASSERT(svg.find(setup.json()->getValue<std::string>("secret")) == std::string::npos);
        CPPUNIT_ASSERT(svg.find("otpauth") == std::string::npos);
    }

private:
    std::string login(const std::string& secret)
    {
        const auto answer = _client->postJson("/login", json({{"username", "alice"}, {"password", secret}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        return answer.json()->getValue<std::string>("jwt_token");
    }

    int loginStatus(const std::string& secret)
    {
        return _client->postJson("/login", json({{"username", "alice"}, {"password", secret}})).status;
    }

    bool signedIn(const std::string& session)
    {
        return _client->get("/mss-login/api/me", bearer(session)).json()->getValue<bool>("authenticated");
    }

    HttpResult change(const std::string& session, const std::string& current, const std::string& next)
    {
        return _client->postJson("/mss-login/api/me/password",
                                 json({{"current_password", current}, {"new_password", next}}), bearer(session));
    }

    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
};

CPPUNIT_TEST_SUITE_REGISTRATION(AccountSelfServiceTest);
