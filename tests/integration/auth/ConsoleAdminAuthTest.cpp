// The auth module's routes added for the web console's admin pages, in the real binary over
// HTTP: disabling an account, resetting a user's MFA, and the list of declared permissions.
#include "AuthRequests.h"
#include "HttpTestClient.h"
#include "ServerProcess.h"
#include "Totp.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>

#include <chrono>

using comfygate::test::bearer;
using comfygate::test::HttpTestClient;
using comfygate::test::json;
using comfygate::test::ServerProcess;

namespace {

const std::string ownerPassword = "correct horse battery staple";
const std::string userPassword = "lunar-tide-88-orbit";

std::int64_t now()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

class ConsoleAdminAuthTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ConsoleAdminAuthTest);
    CPPUNIT_TEST(disabledAccountCannotSignInAndLosesItsCredentials);
    CPPUNIT_TEST(disableRules);
    CPPUNIT_TEST(resetMfaLetsTheUserSignInWithThePasswordAlone);
    CPPUNIT_TEST(permissionsAreListedWithDescriptions);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _server = std::make_unique<ServerProcess>(
            std::map<std::string, std::string>{{"modules.enabled", "auth"}},
            std::map<std::string, std::string>{{"SECRET_KEY", "console-admin-test-key-0123456789abcdef"}});
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(
            err, 0,
            _server->runCommand({"user", "add", "owner", "--role", "owner", "--password-stdin"}, out, err,
                                ownerPassword + "\n"));
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
        _owner = login("owner", ownerPassword);
        createUser("uma", "power"); // power: may hold API tokens
        createUser("adam", "admin");
    }

    void tearDown() override
    {
        _client.reset();
        _server.reset();
    }

    void disabledAccountCannotSignInAndLosesItsCredentials()
    {
        const std::string session = login("uma", userPassword);
        auto token =
            _client->postJson("/mss-login/generate_token", json({{"username", "uma"}, {"password", userPassword}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(token.body, 200, token.status);
        const std::string apiToken = token.json()->getValue<std::string>("jwt_token");
        CPPUNIT_ASSERT(authenticated(session));
        CPPUNIT_ASSERT(authenticated(apiToken));

        CPPUNIT_ASSERT_EQUAL(200, setDisabled("uma", true, _owner));
        CPPUNIT_ASSERT(!authenticated(session));
        CPPUNIT_ASSERT(!authenticated(apiToken));
        auto refused = _client->postJson("/login", json({{"username", "uma"}, {"password", userPassword}}));
        CPPUNIT_ASSERT_EQUAL(403, refused.status);
        CPPUNIT_ASSERT(refused.body.find("disabled") != std::string::npos);
        // A wrong password is told the same as for any account: disabling reveals nothing.
        auto wrong = _client->postJson("/login", json({{"username", "uma"}, {"password", "not-the-password"}}));
        CPPUNIT_ASSERT_EQUAL(401, wrong.status);
        CPPUNIT_ASSERT(userEntry("uma")->getValue<bool>("disabled"));

        CPPUNIT_ASSERT_EQUAL(200, setDisabled("uma", false, _owner));
        CPPUNIT_ASSERT(!userEntry("uma")->getValue<bool>("disabled"));
        CPPUNIT_ASSERT(authenticated(login("uma", userPassword)));
        CPPUNIT_ASSERT(!authenticated(apiToken)); // what disabling ended stays ended

        const auto audit = _client->get("/mss-login/api/admin/audit?action=user.disable", bearer(_owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(audit.body, 200, audit.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), audit.json()->getArray("entries")->size());
        // Disabling and enabling are audited as such, not as a role change (uma's one
        // user.update is from making her a power user).
        const auto updates = _client->get("/mss-login/api/admin/audit?action=user.update&target=uma", bearer(_owner));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), updates.json()->getArray("entries")->size());
    }

    void disableRules()
    {
        const std::string admin = login("adam", userPassword);
        CPPUNIT_ASSERT_EQUAL(400, setDisabled("owner", true, _owner)); // yourself
        CPPUNIT_ASSERT_EQUAL(400, setDisabled("owner", true, admin));  // the owner: owner_protected
        CPPUNIT_ASSERT_EQUAL(400, setDisabled("adam", true, admin));   // yourself
        CPPUNIT_ASSERT_EQUAL(400, setDisabled("guest", true, _owner));
        createUser("alex", "admin");
        CPPUNIT_ASSERT_EQUAL(403, setDisabled("alex", true, admin)); // only the owner disables an admin
        CPPUNIT_ASSERT_EQUAL(200, setDisabled("alex", true, _owner));
        CPPUNIT_ASSERT_EQUAL(403, setDisabled("adam", true, login("uma", userPassword))); // no can_manage_users
        auto bad = _client->request("PUT", "/mss-login/api/users/uma", "{\"disabled\":\"yes\"}", bearer(_owner));
        CPPUNIT_ASSERT_EQUAL(400, bad.status);
        CPPUNIT_ASSERT(bad.body.find("disabled must be true or false") != std::string::npos);
    }

    void resetMfaLetsTheUserSignInWithThePasswordAlone()
    {
        const std::string session = login("uma", userPassword);
        auto setup = _client->postJson("/mss-login/api/mfa/setup", "{}", bearer(session));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(setup.body, 200, setup.status);
        const std::string secret = setup.json()->getValue<std::string>("secret");
        auto enabled = _client->postJson(
            "/mss-login/api/mfa/verify-setup",
            json({{"code", comfygate::auth::Totp::code(secret, comfygate::auth::Totp::stepAt(now()))}}),
            bearer(session));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(enabled.body, 200, enabled.status);
        CPPUNIT_ASSERT(_client->postJson("/login", json({{"username", "uma"}, {"password", userPassword}}))
                           .json()
                           ->optValue<bool>("mfa_required", false));
        CPPUNIT_ASSERT(userEntry("uma")->getValue<bool>("mfa_enabled"));

        CPPUNIT_ASSERT_EQUAL(403,
                             _client->postJson("/mss-login/api/users/uma/mfa/reset", "{}", bearer(session)).status);
        auto reset = _client->postJson("/mss-login/api/users/uma/mfa/reset", "{}", bearer(_owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(reset.body, 200, reset.status);
        CPPUNIT_ASSERT(!userEntry("uma")->getValue<bool>("mfa_enabled"));
        auto plain = _client->postJson("/login", json({{"username", "uma"}, {"password", userPassword}}));
        CPPUNIT_ASSERT_EQUAL(200, plain.status);
        CPPUNIT_ASSERT(plain.json()->has("jwt_token"));
        CPPUNIT_ASSERT_EQUAL(409, _client->postJson("/mss-login/api/users/uma/mfa/reset", "{}", bearer(_owner)).status);
        CPPUNIT_ASSERT_EQUAL(404,
                             _client->postJson("/mss-login/api/users/nobody/mfa/reset", "{}", bearer(_owner)).status);
    }

    void permissionsAreListedWithDescriptions()
    {
        auto answer = _client->get("/mss-login/api/permissions", bearer(_owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        const auto list = answer.json()->getArray("permissions");
        const auto table = _client->get("/mss-login/api/groups", bearer(_owner)).json()->getObject("groups");
        bool manageUsers = false, viewAudit = false;
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto item = list->getObject(i);
            const std::string id = item->getValue<std::string>("id");
            CPPUNIT_ASSERT_MESSAGE(id, !item->getValue<std::string>("description").empty());
            CPPUNIT_ASSERT_MESSAGE(id, table->getObject("user")->has(id)); // the matrix has a row for each
            if (id == "can_manage_users") {
                manageUsers = true;
                CPPUNIT_ASSERT_EQUAL(std::string("admin"), item->getArray("default_roles")->getElement<std::string>(0));
            }
            viewAudit = viewAudit || (id == "can_view_audit" && item->getValue<std::string>("group") == "kernel");
        }
        CPPUNIT_ASSERT(manageUsers && viewAudit);
        CPPUNIT_ASSERT_EQUAL(403,
                             _client->get("/mss-login/api/permissions", bearer(login("uma", userPassword))).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/api/permissions").status);
    }

private:
    std::string login(const std::string& user, const std::string& password)
    {
        auto result = _client->postJson("/login", json({{"username", user}, {"password", password}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("jwt_token");
    }

    void createUser(const std::string& name, const std::string& role)
    {
        auto created = _client->postJson(
            "/register", json({{"new_user_username", name}, {"new_user_password", userPassword}}), bearer(_owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 200, created.status);
        if (role != "user")
            CPPUNIT_ASSERT_EQUAL(200, _client
                                          ->request("PUT", "/mss-login/api/users/" + name,
                                                    "{\"groups\":[\"" + role + "\"]}", bearer(_owner))
                                          .status);
    }

    int setDisabled(const std::string& name, bool disabled, const std::string& caller)
    {
        return _client
            ->request("PUT", "/mss-login/api/users/" + name,
                      std::string("{\"disabled\":") + (disabled ? "true" : "false") + "}", bearer(caller))
            .status;
    }

    bool authenticated(const std::string& credential)
    {
        auto me = _client->get("/mss-login/api/me", bearer(credential));
        return me.status == 200 && me.json()->getValue<bool>("authenticated");
    }

    Poco::JSON::Object::Ptr userEntry(const std::string& name)
    {
        const auto users = _client->get("/mss-login/api/users", bearer(_owner)).json()->getArray("users");
        for (std::size_t i = 0; i < users->size(); ++i)
            if (users->getObject(i)->getValue<std::string>("username") == name)
                return users->getObject(i);
        CPPUNIT_FAIL("no user " + name);
        return nullptr;
    }

    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
    std::string _owner;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleAdminAuthTest);
