// userdata, settings and users through the gateway: with comfy.multi_user every gateway user
// has their own ComfyUI user (created on first use), so one user's workflows and settings are
// invisible to another whatever comfy-user header a client sends; GET /users shows only the
// caller; without multi_user the shared folder is read-only for everyone but admins.
#include "ComfyGateway.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>

using comfygate::test::Headers;
using comfygate::test::HttpResult;
using comfygate::test::HttpTestClient;

namespace {

Headers with(Headers headers, const std::string& name, const std::string& value)
{
    headers[name] = value;
    return headers;
}

const std::string workflow = R"({"nodes":[],"links":[],"version":0.4,"extra":{"owner":"alice"}})";

} // namespace

class ComfyUserDataTest : public comfygate::test::ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(ComfyUserDataTest);
    CPPUNIT_TEST(aWorkflowIsOnlyItsOwners);
    CPPUNIT_TEST(aClientsComfyUserHeaderIsIgnored);
    CPPUNIT_TEST(settingsArePerUser);
    CPPUNIT_TEST(usersListsOnlyTheCaller);
    CPPUNIT_TEST(writesNeedCanModifyWorkflows);
    CPPUNIT_TEST(withoutMultiUserOnlyAdminsWrite);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { startGateway({{"comfy.multi_user", "true"}}); }

    void aWorkflowIsOnlyItsOwners()
    {
        auto saved = _client->request("POST", "/api/userdata/workflows%2Ffox.json", workflow,
                                      with(alice, "Content-Type", "application/json"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(saved.body, 200, saved.status);
        auto mine = _client->get("/api/userdata/workflows%2Ffox.json", alice);
        CPPUNIT_ASSERT_EQUAL(200, mine.status);
        CPPUNIT_ASSERT_EQUAL(workflow, mine.body);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/api/userdata/workflows%2Ffox.json", bob).status);
        auto bobsList = _client->get("/api/userdata?dir=workflows", bob);
        CPPUNIT_ASSERT(bobsList.body.find("fox.json") == std::string::npos);
        auto alicesList = _client->get("/userdata?dir=workflows", alice);
        CPPUNIT_ASSERT_EQUAL(200, alicesList.status);
        CPPUNIT_ASSERT(alicesList.body.find("fox.json") != std::string::npos);
        CPPUNIT_ASSERT(_client->get("/api/v2/userdata?path=workflows", bob).body.find("fox.json") == std::string::npos);
        // Each user got their own ComfyUI user; the raw %2F path reached ComfyUI unchanged.
        std::set<std::string> comfyUsers;
        for (const auto& recorded : _comfy->requests()) {
            if (recorded.uri.rfind("/api/userdata", 0) == 0)
                comfyUsers.insert(recorded.header("comfy-user"));
            if (recorded.method == "POST" && recorded.uri.find("fox.json") != std::string::npos)
                CPPUNIT_ASSERT_EQUAL(std::string("/api/userdata/workflows%2Ffox.json"), recorded.uri);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), comfyUsers.size());
        CPPUNIT_ASSERT(!comfyUsers.count("alice") && !comfyUsers.count(""));
    }

    void aClientsComfyUserHeaderIsIgnored()
    {
        CPPUNIT_ASSERT_EQUAL(200,
                             _client->request("POST", "/userdata/workflows%2Fsecret.json", workflow, alice).status);
        const std::string alicesComfyUser =
            _client->get("/users", alice).json()->getObject("users")->getNames().front();
        auto spoofed = _client->get("/userdata/workflows%2Fsecret.json", with(bob, "comfy-user", alicesComfyUser));
        CPPUNIT_ASSERT_EQUAL(404, spoofed.status);
        // Moving and deleting someone else's file fails the same way.
        CPPUNIT_ASSERT_EQUAL(404, _client->request("DELETE", "/userdata/workflows%2Fsecret.json", "", bob).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/userdata/workflows%2Fsecret.json", alice).status);
    }

    void settingsArePerUser()
    {
        auto saved = _client->postJson("/settings", R"({"Comfy.ColorPalette":"light"})", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(saved.body, 200, saved.status);
        CPPUNIT_ASSERT_EQUAL(std::string("light"),
                             _client->get("/api/settings", alice).json()->getValue<std::string>("Comfy.ColorPalette"));
        CPPUNIT_ASSERT(!_client->get("/settings", bob).json()->has("Comfy.ColorPalette"));
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/settings/Comfy.Locale", "\"fr\"", bob).status);
        CPPUNIT_ASSERT_EQUAL(std::string("\"fr\""), _client->get("/settings/Comfy.Locale", bob).body);
        CPPUNIT_ASSERT_EQUAL(std::string("null"), _client->get("/settings/Comfy.Locale", alice).body);
    }

    void usersListsOnlyTheCaller()
    {
        _client->get("/settings", bob); // bob exists upstream too
        auto users = _client->get("/users", alice);
        CPPUNIT_ASSERT_EQUAL(200, users.status);
        const auto body = users.json();
        CPPUNIT_ASSERT_EQUAL(std::string("server"), body->getValue<std::string>("storage"));
        const auto listed = body->getObject("users");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), listed->size());
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), listed->getValue<std::string>(listed->getNames().front()));
        // The same id on every call (recorded once).
        CPPUNIT_ASSERT_EQUAL(listed->getNames().front(),
                             _client->get("/api/users", alice).json()->getObject("users")->getNames().front());
        // Creating ComfyUI users is for admins.
        CPPUNIT_ASSERT_EQUAL(403, _client->postJson("/users", R"({"username":"mallory"})", alice).status);
        auto created = _client->postJson("/api/users", R"({"username":"service"})", admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 200, created.status);
    }

    void writesNeedCanModifyWorkflows()
    {
        CPPUNIT_ASSERT_EQUAL(403, _client->request("POST", "/userdata/workflows%2Fg.json", workflow, guest).status);
        // Reading is allowed: ComfyUI answers (404: the guest has no workflows folder yet).
        auto read = _client->get("/userdata?dir=workflows", guest);
        CPPUNIT_ASSERT_EQUAL(404, read.status);
        CPPUNIT_ASSERT_EQUAL(std::string("GET"), _comfy->requests().back().method);
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/userdata?dir=workflows").status);
    }

    void withoutMultiUserOnlyAdminsWrite()
    {
        _comfy->addUser("default", "default"); // ComfyUI's single user
        auto single = startServer({});
        HttpTestClient client(single->port());
        CPPUNIT_ASSERT_EQUAL(403, client.request("POST", "/userdata/workflows%2Fx.json", workflow, alice).status);
        CPPUNIT_ASSERT_EQUAL(403, client.postJson("/settings", R"({"a":1})", alice).status);
        CPPUNIT_ASSERT_EQUAL(200, client.request("POST", "/userdata/workflows%2Fx.json", workflow, admin).status);
        CPPUNIT_ASSERT_EQUAL(200, client.get("/userdata/workflows%2Fx.json", alice).status);
        auto users = client.get("/users", alice).json();
        CPPUNIT_ASSERT(users->getValue<bool>("migrated"));
        CPPUNIT_ASSERT(!users->has("users"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ComfyUserDataTest);
