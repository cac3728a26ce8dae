// The whole way a ComfyUI client goes through the gateway, with the real auth module and two
// real users sharing one (fake) ComfyUI: credential → /object_info → /ws → /prompt → events →
// /history → /view, and every step tried by the other user and refused.
#include "FakeComfyUI.h"
#include "GatewayPrompts.h"
#include "HttpTestClient.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "WebSocketTestClient.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/URI.h>

#include <chrono>
#include <memory>
#include <set>

using comfygate::fakes::FakeComfyUI;
using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using comfygate::test::WebSocketFrame;
using comfygate::test::WebSocketTestClient;
using Headers = std::map<std::string, std::string>;
using namespace std::chrono_literals;

namespace {

const std::string password = "long-enough-password-42";

std::string promptIdOf(const WebSocketFrame& frame)
{
    if (!frame.isText())
        return {};
    auto data = frame.json()->getObject("data");
    return data ? data->optValue<std::string>("prompt_id", "") : std::string();
}

std::string viewUri(const Poco::JSON::Object::Ptr& image)
{
    Poco::URI uri("/view");
    uri.addQueryParameter("filename", image->getValue<std::string>("filename"));
    uri.addQueryParameter("subfolder", image->getValue<std::string>("subfolder"));
    uri.addQueryParameter("type", image->getValue<std::string>("type"));
    return uri.toString();
}

} // namespace

class EndToEndTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(EndToEndTest);
    CPPUNIT_TEST(twoUsersEachSeeOnlyTheirOwnRun);
    CPPUNIT_TEST(aGuestMayLookButNotRun);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _comfy = std::make_unique<FakeComfyUI>(_root.path());
        _comfy->addModel("checkpoints", "sd15.safetensors");
        _comfy->start();
        _server = std::make_unique<ServerProcess>(
            std::map<std::string, std::string>{{"modules.dir", COMFYGATE_MODULE_DIR},
                                               {"modules.enabled", "auth,comfy-proxy"},
                                               {"comfy.url", _comfy->url()}},
            std::map<std::string, std::string>{{"SECRET_KEY", "end-to-end-test-secret-key-0123456789abcdef"}});
        for (const auto& [name, role] : {std::pair<std::string, std::string>{"alice", "power"},
                                         {"bob", "user"},
                                         {"gus", "guest"}}) {
            std::string out, err;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0,
                                         _server->runCommand({"user", "add", name, "--role", role, "--password-stdin"},
                                                             out, err, password + "\n"));
        }
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
    }

    void tearDown() override
    {
        _client.reset();
        _server.reset();
        _comfy->stop();
        _comfy.reset();
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
        WebSocketTestClient bobSocket(_server->port(), "/ws?clientId=tab1", {{"Authorization", bob.at("Authorization")}});
        CPPUNIT_ASSERT_EQUAL(std::string("tab1"),
                             aliceSocket.next(5s)->json()->getObject("data")->getValue<std::string>("sid"));
        CPPUNIT_ASSERT_EQUAL(std::string("tab1"),
                             bobSocket.next(5s)->json()->getObject("data")->getValue<std::string>("sid"));

        const std::string alicePrompt = submit(alice, "alice-fox");
        const std::string bobPrompt = submit(bob, "bob-owl");

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
        const auto image = comfygate::test::waitForImage(*_client, alice, alicePrompt);
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
        const auto refused = _client->postJson("/prompt", "{\"prompt\":" + comfygate::test::sampleWorkflow() + "}", gus);
        CPPUNIT_ASSERT_EQUAL(403, refused.status);
        for (const auto& request : _comfy->requests())
            CPPUNIT_ASSERT_MESSAGE("a refused prompt reached ComfyUI", request.uri.find("/prompt") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/object_info").status);
    }

private:
    Headers sessionOf(const std::string& name)
    {
        auto result = _client->postJson("/login", "{\"username\":\"" + name + "\",\"password\":\"" + password + "\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return Headers{{"Authorization", "Bearer " + result.json()->getValue<std::string>("jwt_token")}};
    }

    std::string apiToken(const std::string& name)
    {
        auto result = _client->postJson("/mss-login/generate_token",
                                        "{\"username\":\"" + name + "\",\"password\":\"" + password +
                                            "\",\"label\":\"script\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("jwt_token");
    }

    std::string submit(const Headers& user, const std::string& positive)
    {
        comfygate::test::TestGraph graph;
        graph.positive = positive;
        auto result = _client->postJson("/prompt", "{\"client_id\":\"tab1\",\"prompt\":" + graph.json() + "}", user);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("prompt_id");
    }

    comfygate::test::TempDir _root;
    std::unique_ptr<FakeComfyUI> _comfy;
    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
};

CPPUNIT_TEST_SUITE_REGISTRATION(EndToEndTest);
