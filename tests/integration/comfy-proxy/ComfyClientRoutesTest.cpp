// The ComfyUI routes that client libraries and the front end call besides prompts and files:
// GET /prompt (counts per user), the node packs' front-end data, the logs subscription with
// `logs` events only on the subscriber's own socket, and custom-node routes opened by
// comfy.passthrough.
#include "ComfyGateway.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Object.h>

#include <chrono>
#include <stdexcept>

using namespace comfygate::test;
using namespace std::chrono_literals;

namespace {

Headers with(Headers headers, const std::string& name, const std::string& value)
{
    headers[name] = value;
    return headers;
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

const std::string managerPassthrough = "/manager/:can_manage_extensions:GET,POST";

} // namespace

class ComfyClientRoutesTest : public ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(ComfyClientRoutesTest);
    CPPUNIT_TEST(getPromptCountsOnlyYourPrompts);
    CPPUNIT_TEST(frontEndDataIsRelayed);
    CPPUNIT_TEST(logsSubscribeNeedsCanViewConsole);
    CPPUNIT_TEST(logsReachOnlyTheSubscribersSocket);
    CPPUNIT_TEST(logsSubscribeChecksTheBody);
    CPPUNIT_TEST(customNodeRoutesOpenOnlyByConfiguration);
    CPPUNIT_TEST(openedPrefixIsListedAndDocumented);
    CPPUNIT_TEST(badPassthroughStopsStartup);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { startGateway({{"comfy.multi_user", "true"}, {"http.access_log", "off"}}); }

    void getPromptCountsOnlyYourPrompts()
    {
        _comfy->setExecutionTime(3s);
        submit(alice, sampleWorkflow());
        submit(alice, sampleWorkflow());
        submit(bob, sampleWorkflow());
        CPPUNIT_ASSERT_EQUAL(2, remaining("/prompt", alice));
        CPPUNIT_ASSERT_EQUAL(2, remaining("/api/prompt", alice));
        CPPUNIT_ASSERT_EQUAL(1, remaining("/prompt", bob));
        CPPUNIT_ASSERT_EQUAL(0, remaining("/prompt", guest));
        CPPUNIT_ASSERT_EQUAL(3, remaining("/prompt", admin)); // can_view_all_comfyui_items
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/prompt").status);
    }

    void frontEndDataIsRelayed()
    {
        for (const std::string prefix : {"", "/api"}) {
            auto templates = _client->get(prefix + "/workflow_templates", guest);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(templates.body, 200, templates.status);
            CPPUNIT_ASSERT(templates.json()->getArray("comfyui-fake-pack"));
            auto i18n = _client->get(prefix + "/i18n", guest);
            CPPUNIT_ASSERT_EQUAL(200, i18n.status);
            CPPUNIT_ASSERT(i18n.json()->getObject("en")->getObject("nodeDefs")->has("FakeUpscale"));
            auto subgraphs = _client->get(prefix + "/global_subgraphs", guest).json();
            CPPUNIT_ASSERT_EQUAL(std::string("custom_node"),
                                 subgraphs->getObject("fake-pack-upscale")->getValue<std::string>("source"));
            auto one = _client->get(prefix + "/global_subgraphs/fake-pack-upscale", guest).json();
            CPPUNIT_ASSERT(contains(one->getValue<std::string>("data"), "\"nodes\""));
            CPPUNIT_ASSERT_EQUAL(std::string("null"), _client->get(prefix + "/global_subgraphs/none", guest).body);
        }
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/i18n").status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), requestsTo("/api/i18n").size());
    }

    void logsSubscribeNeedsCanViewConsole()
    {
        const std::string body = R"({"clientId":"tab","enabled":true})";
        CPPUNIT_ASSERT_EQUAL(403, subscribeLogs(alice, body).status);
        CPPUNIT_ASSERT_EQUAL(403, subscribeLogs(guest, body).status);
        CPPUNIT_ASSERT(requestsTo("/internal/logs/subscribe").empty());
        CPPUNIT_ASSERT_EQUAL(404, subscribeLogs(admin, body, "/api/internal/logs/subscribe").status);
    }

    void logsReachOnlyTheSubscribersSocket()
    {
        auto adminSocket = connect(admin, "tab");
        auto bobSocket = connect(bob, "tab");
        adminSocket->next(5s);
        bobSocket->next(5s);
        auto subscribed = subscribeLogs(admin, R"({"clientId":"tab","enabled":true})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(subscribed.body, 200, subscribed.status);
        // Upstream the subscription names the gateway's one socket (ComfyUI knows no other);
        // the gateway routes the lines to the admin's "tab" only, never to bob's "tab".
        const auto seen = requestsTo("/internal/logs/subscribe");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), seen.size());
        CPPUNIT_ASSERT(contains(seen.front().body, "\"comfygate-"));
        CPPUNIT_ASSERT(contains(seen.front().body, "true"));
        _comfy->log("model loaded in 1.2 s");
        const auto frames = adminSocket->until([](const WebSocketFrame& f) { return f.type() == "logs"; }, 5s);
        CPPUNIT_ASSERT_EQUAL(std::string("logs"), frames.back().type());
        CPPUNIT_ASSERT(contains(frames.back().payload, "model loaded in 1.2 s"));
        for (const auto& frame : bobSocket->drain(500ms))
            CPPUNIT_ASSERT_MESSAGE(frame.payload, frame.type() != "logs");
        // Another tab of the admin is not subscribed; unsubscribing the last tab unsubscribes upstream.
        auto otherTab = connect(admin, "other");
        otherTab->next(5s);
        _comfy->log("second line");
        adminSocket->until([](const WebSocketFrame& f) { return f.type() == "logs"; }, 5s);
        for (const auto& frame : otherTab->drain(300ms))
            CPPUNIT_ASSERT_MESSAGE(frame.payload, frame.type() != "logs");
        CPPUNIT_ASSERT_EQUAL(200, subscribeLogs(admin, R"({"clientId":"tab","enabled":false})").status);
        const auto unsubscribed = requestsTo("/internal/logs/subscribe");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), unsubscribed.size());
        CPPUNIT_ASSERT(contains(unsubscribed.back().body, "false"));
    }

    void logsSubscribeChecksTheBody()
    {
        for (const std::string body :
             {R"({"enabled":true})", R"({"clientId":"tab"})", R"({"clientId":"tab","enabled":"yes"})",
              R"({"clientId":"a/b","enabled":true})", R"({"clientId":7,"enabled":true})", "not json"}) {
            auto refused = subscribeLogs(admin, body);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(body, 400, refused.status);
            CPPUNIT_ASSERT_MESSAGE(body, refused.json()->has("error"));
        }
        CPPUNIT_ASSERT(requestsTo("/internal/logs/subscribe").empty());
    }

    void customNodeRoutesOpenOnlyByConfiguration()
    {
        for (const char* path : {"/manager/queue/status", "/api/manager/queue/status"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 404, _client->get(path, admin).status);
        CPPUNIT_ASSERT(requestsTo("/manager/queue/status").empty());

        startGateway({{"comfy.multi_user", "true"},
                      {"comfy.passthrough", managerPassthrough + "; /customnode/:can_access_manager"}});
        auto status = _client->get("/manager/queue/status", with(alice, "comfy-user", "spoofed"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(status.body, 200, status.status);
        CPPUNIT_ASSERT_EQUAL(false, status.json()->getValue<bool>("is_processing"));
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/api/manager/queue/status", alice).status);
        const auto seen = requestsTo("/manager/queue/status").back();
        CPPUNIT_ASSERT(!seen.hasHeader("Authorization"));
        CPPUNIT_ASSERT(!seen.header("comfy-user").empty() && seen.header("comfy-user") != "spoofed");
        auto posted = _client->request("POST", "/manager/queue/install", R"({"id":"pack"})",
                                       with(alice, "Content-Type", "application/json"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(posted.body, 200, posted.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"id":"pack"})"), requestsTo("/manager/queue/install").back().body);
        // The permission is enforced before ComfyUI sees anything; unopened methods are 405.
        const auto before = requestsTo("/manager/queue/status").size();
        CPPUNIT_ASSERT_EQUAL(403, _client->get("/manager/queue/status", guest).status);
        CPPUNIT_ASSERT_EQUAL(before, requestsTo("/manager/queue/status").size());
        CPPUNIT_ASSERT_EQUAL(405, _client->request("DELETE", "/manager/queue/status", "", alice).status);
        CPPUNIT_ASSERT_EQUAL(403, _client->get("/customnode/getlist", alice).status); // users lack can_access_manager
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/customnode/getlist", admin).status); // ComfyUI's own 404
    }

    void openedPrefixIsListedAndDocumented()
    {
        startGateway({{"comfy.passthrough", managerPassthrough}});
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, _server->runCommand({"modules"}, out, err));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "GET /manager/{path...}"));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "POST /manager/{path...}"));
        const auto spec = _client->get("/openapi.json").json()->getObject("paths");
        CPPUNIT_ASSERT(spec->has("/manager/{path}"));
        CPPUNIT_ASSERT(spec->has("/api/manager/{path}"));
    }

    void badPassthroughStopsStartup()
    {
        const std::vector<std::pair<std::string, std::string>> bad{
            {"/manager/:no_such_permission", "no_such_permission"},
            {"manager:can_access_api", "manager:can_access_api"},
            {"/manager/:can_access_api:FETCH", "FETCH"},
            {"/api/manager/:can_access_api", "/api/manager/"},
            {"/manager/", "/manager/"},
        };
        for (const auto& [value, named] : bad) {
            std::string message;
            try {
                startServer({{"comfy.passthrough", value}});
            } catch (const std::runtime_error& e) {
                message = e.what();
            }
            CPPUNIT_ASSERT_MESSAGE(value + " was accepted", contains(message, "comfy.passthrough"));
            CPPUNIT_ASSERT_MESSAGE(message, contains(message, named));
        }
    }

private:
    int remaining(const std::string& path, const Headers& user)
    {
        auto answer = _client->get(path, user);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        return answer.json()->getObject("exec_info")->getValue<int>("queue_remaining");
    }

    HttpResult subscribeLogs(const Headers& user, const std::string& body,
                             const std::string& path = "/internal/logs/subscribe")
    {
        return _client->request("PATCH", path, body, with(user, "Content-Type", "application/json"));
    }

    std::vector<comfygate::fakes::RecordedRequest> requestsTo(const std::string& pathStart)
    {
        std::vector<comfygate::fakes::RecordedRequest> found;
        for (const auto& recorded : _comfy->requests()) {
            if (recorded.uri.rfind(pathStart, 0) == 0)
                found.push_back(recorded);
        }
        return found;
    }

    std::unique_ptr<WebSocketTestClient> connect(const Headers& user, const std::string& clientId)
    {
        return std::make_unique<WebSocketTestClient>(_server->port(), "/ws?clientId=" + clientId, user);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ComfyClientRoutesTest);
