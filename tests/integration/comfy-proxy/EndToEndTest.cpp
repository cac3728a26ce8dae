// The whole way a ComfyUI client goes through the gateway, with the real auth module and two
// real users sharing one (fake) ComfyUI: credential → /object_info → /ws → /prompt → events →
// /history → /view, and every step tried by the other user and refused.
#include "ComfyGateway.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <set>

using namespace comfygate::test;
using namespace std::chrono_literals;

class EndToEndTest : public ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(EndToEndTest);
    CPPUNIT_TEST(twoUsersEachSeeOnlyTheirOwnRun);
    CPPUNIT_TEST(aGuestMayLookButNotRun);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        useServer(startServerWithAccounts({{"alice", "power"}, {"bob", "user"}, {"gus", "guest"}},
                                          "end-to-end-test-secret-key-0123456789abcdef"));
    }

    void twoUsersEachSeeOnlyTheirOwnRun()
    {
        // alice scripts with an API token; bob uses the browser's session login.
        const std::string aliceToken = apiToken("alice");
        const Headers alice{{"Authorization", "Bearer " + aliceToken}};
        const Headers bob = sessionOf("bob");

        CPPUNIT_ASSERT_EQUAL(200, _client->get("/object_info", alice).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/api/object_info/KSampler", bob).status);

        // Both open their socket with the same clientId: namespaced per user, no take-over.
        WebSocketTestClient aliceSocket(_server->port(), "/ws?clientId=tab1&token=" + aliceToken);
        WebSocketTestClient bobSocket(_server->port(), "/ws?clientId=tab1",
                                      {{"Authorization", bob.at("Authorization")}});
        CPPUNIT_ASSERT_EQUAL(std::string("tab1"),
                             aliceSocket.next(5s)->json()->getObject("data")->getValue<std::string>("sid"));
        CPPUNIT_ASSERT_EQUAL(std::string("tab1"),
                             bobSocket.next(5s)->json()->getObject("data")->getValue<std::string>("sid"));

        const std::string alicePrompt = submit(alice, TestGraph{.positive = "alice-fox"}.json(), "tab1");
        const std::string bobPrompt = submit(bob, TestGraph{.positive = "bob-owl"}.json(), "tab1");

        for (auto* socket : {&aliceSocket, &bobSocket}) {
            const std::string mine = socket == &aliceSocket ? alicePrompt : bobPrompt;
            const std::string theirs = socket == &aliceSocket ? bobPrompt : alicePrompt;
            const auto frames = socket->until(
                [&](const WebSocketFrame& f) { return f.type() == "execution_success" && promptIdOf(f) == mine; }, 20s);
            const auto later = socket->drain(300ms);
            std::set<std::string> seenPrompts;
            for (const auto* list : {&frames, &later})
                for (const auto& frame : *list)
                    if (!promptIdOf(frame).empty())
                        seenPrompts.insert(promptIdOf(frame));
            CPPUNIT_ASSERT_MESSAGE("the other user's events leaked", seenPrompts.count(theirs) == 0);
            CPPUNIT_ASSERT(seenPrompts.count(mine) == 1);
        }

        // History: each sees their own prompt, the other's looks unknown.
        CPPUNIT_ASSERT(_client->get("/history", alice).json()->has(alicePrompt));
        CPPUNIT_ASSERT(!_client->get("/history", alice).json()->has(bobPrompt));
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), _client->get("/history/" + alicePrompt, bob).body);

        // Outputs: alice's image is hers; for bob it does not exist.
        const auto image = waitForImage(alice, alicePrompt);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(viewUri(image), alice).status);
        const auto refused = _client->get(viewUri(image), bob);
        CPPUNIT_ASSERT_EQUAL(404, refused.status);
        CPPUNIT_ASSERT(refused.body.empty());

        // Queue control stays inside each user's items.
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/history", R"({"clear":true})", bob).status);
        CPPUNIT_ASSERT(_client->get("/history", alice).json()->has(alicePrompt));
        CPPUNIT_ASSERT(!_client->get("/history", bob).json()->has(bobPrompt));
    }

    void aGuestMayLookButNotRun()
    {
        const Headers gus = sessionOf("gus");
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/object_info", gus).status);
        const auto refused =
            _client->postJson("/prompt", "{\"prompt\":" + comfygate::test::sampleWorkflow() + "}", gus);
        CPPUNIT_ASSERT_EQUAL(403, refused.status);
        for (const auto& request : _comfy->requests())
            CPPUNIT_ASSERT_MESSAGE("a refused prompt reached ComfyUI",
                                   request.uri.find("/prompt") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/object_info").status);
    }

private:
    Headers sessionOf(const std::string& name) { return comfygate::test::login(*_client, name, accountPassword); }

    std::string apiToken(const std::string& name)
    {
        auto result = _client->postJson("/mss-login/generate_token", "{\"username\":\"" + name + "\",\"password\":\"" +
                                                                         accountPassword + "\",\"label\":\"script\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("jwt_token");
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EndToEndTest);
