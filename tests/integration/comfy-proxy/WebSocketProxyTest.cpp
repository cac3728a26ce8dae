// ComfyUI's WebSocket through the gateway: two users share one (fake) ComfyUI, the gateway
// holds one upstream socket for all its clients, and each client socket carries only its own
// tab's events and previews, its user's broadcasts and kernel events.
#include "ComfyGateway.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <thread>

using namespace comfygate::test;
using namespace std::chrono_literals;

namespace {

Headers upgrade(Headers headers)
{
    headers["Upgrade"] = "websocket";
    headers["Connection"] = "Upgrade";
    headers["Sec-WebSocket-Key"] = "dGhlIHNhbXBsZSBub25jZQ==";
    headers["Sec-WebSocket-Version"] = "13";
    return headers;
}

bool isEndOf(const WebSocketFrame& frame, const std::string& promptId)
{
    if (frame.type() != "executing" || promptIdOf(frame) != promptId)
        return false;
    return frame.json()->getObject("data")->get("node").isEmpty();
}

std::size_t countBinary(const std::vector<WebSocketFrame>& frames, std::uint32_t type)
{
    return static_cast<std::size_t>(std::count_if(frames.begin(), frames.end(), [type](const WebSocketFrame& f) {
        return f.isBinary() && f.binaryType() == type;
    }));
}

std::size_t countType(const std::vector<WebSocketFrame>& frames, const std::string& type)
{
    return static_cast<std::size_t>(
        std::count_if(frames.begin(), frames.end(), [&type](const WebSocketFrame& f) { return f.type() == type; }));
}

bool mentions(const std::vector<WebSocketFrame>& frames, const std::string& text)
{
    return std::any_of(frames.begin(), frames.end(),
                       [&text](const WebSocketFrame& f) { return f.payload.find(text) != std::string::npos; });
}

} // namespace

class WebSocketProxyTest : public ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(WebSocketProxyTest);
    CPPUNIT_TEST(firstStatusCarriesOwnSidAndOwnQueueCount);
    CPPUNIT_TEST(allClientsShareOneUpstreamSocket);
    CPPUNIT_TEST(eachTabGetsOnlyThePromptsSubmittedWithIt);
    CPPUNIT_TEST(eachSocketGetsOnlyItsOwnEventSequence);
    CPPUNIT_TEST(promptWithoutClientIdReachesOnlyItsOwner);
    CPPUNIT_TEST(metadataPreviewsReachOnlyTheOwner);
    CPPUNIT_TEST(anotherUsersClientIdGetsNothing);
    CPPUNIT_TEST(originAndCredentialsAreChecked);
    CPPUNIT_TEST(upstreamDownAnswers502WithoutUpgrade);
    CPPUNIT_TEST(kernelEventsReachOnlyTheirUser);
    CPPUNIT_TEST(slowClientIsClosedWithoutDelayingOthers);
    CPPUNIT_TEST(upstreamRestartKeepsClientsAndReconnects);
    CPPUNIT_TEST(oversizedClientMessageCloses1009);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _comfy->setExecutionTime(100ms);
        startGateway({{"comfy.ws_queue_frames", "64"},
                      {"comfy.ws_max_message_kib", "4"},
                      {"comfy.ws_allowed_origins", "https://app.example.com"},
                      {"http.access_log", "off"}},
                     fixtureModules + ",fixture");
    }

    void firstStatusCarriesOwnSidAndOwnQueueCount()
    {
        _comfy->setExecutionTime(3000ms);
        submitSample(bob, "");
        submitSample(bob, "");
        submitSample(alice, "");
        auto socket = connect(alice, "tab-a");
        auto first = socket->next(5s);
        CPPUNIT_ASSERT(first);
        CPPUNIT_ASSERT_EQUAL(std::string("status"), first->type());
        auto data = first->json()->getObject("data");
        CPPUNIT_ASSERT_EQUAL(std::string("tab-a"), data->getValue<std::string>("sid"));
        CPPUNIT_ASSERT_EQUAL(1, data->getObject("status")->getObject("exec_info")->getValue<int>("queue_remaining"));
        // ComfyUI knows only the gateway's own sid, never a client's.
        const auto sids = _comfy->webSocketSids();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sids.size());
        CPPUNIT_ASSERT_EQUAL(std::string("comfygate-"), sids.front().substr(0, 10));

        // Without a clientId the gateway picks one, like ComfyUI: uuid4 hex.
        auto anonymous = connect(bob, "");
        auto status = anonymous->next(5s);
        CPPUNIT_ASSERT(status);
        const std::string sid = status->json()->getObject("data")->getValue<std::string>("sid");
        CPPUNIT_ASSERT_EQUAL(std::size_t(32), sid.size());
        CPPUNIT_ASSERT_EQUAL(2, status->json()
                                    ->getObject("data")
                                    ->getObject("status")
                                    ->getObject("exec_info")
                                    ->getValue<int>("queue_remaining"));
    }

    void allClientsShareOneUpstreamSocket()
    {
        std::vector<std::unique_ptr<WebSocketTestClient>> aliceTabs;
        std::vector<std::unique_ptr<WebSocketTestClient>> bobTabs;
        for (int i = 0; i < 4; ++i) {
            aliceTabs.push_back(connect(alice, "a" + std::to_string(i)));
            bobTabs.push_back(connect(bob, "b" + std::to_string(i)));
        }
        for (auto* tabs : {&aliceTabs, &bobTabs})
            for (auto& tab : *tabs)
                CPPUNIT_ASSERT(tab->next(5s));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _comfy->openWebSockets());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _comfy->webSocketSids().size());

        const std::string a = submitSample(alice, "a2");
        const std::string b = submitSample(bob, "b1");
        const auto aliceFrames = aliceTabs[2]->until([&](const WebSocketFrame& f) { return isEndOf(f, a); }, 10s);
        const auto bobFrames = bobTabs[1]->until([&](const WebSocketFrame& f) { return isEndOf(f, b); }, 10s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), countType(aliceFrames, "execution_success"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), countBinary(aliceFrames, 1));
        CPPUNIT_ASSERT(!mentions(aliceFrames, b));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), countType(bobFrames, "execution_success"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), countBinary(bobFrames, 1));
        CPPUNIT_ASSERT(!mentions(bobFrames, a));
        // The other tabs had queue changes only (status), never a prompt's event or preview.
        for (auto* tabs : {&aliceTabs, &bobTabs})
            for (std::size_t i = 0; i < tabs->size(); ++i) {
                if ((tabs == &aliceTabs && i == 2) || (tabs == &bobTabs && i == 1))
                    continue;
                for (const auto& frame : (*tabs)[i]->drain(200ms))
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(frame.payload, std::string("status"), frame.type());
            }
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _comfy->openWebSockets());
    }

    void eachTabGetsOnlyThePromptsSubmittedWithIt()
    {
        // As ComfyUI does per sid: two tabs of one user, each gets the prompts submitted with its clientId.
        auto first = connect(alice, "first");
        auto second = connect(alice, "second");
        first->next(5s);
        second->next(5s);
        const std::string one = submitSample(alice, "first");
        const auto firstFrames = first->until([&](const WebSocketFrame& f) { return isEndOf(f, one); }, 10s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), countType(firstFrames, "execution_start"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), countBinary(firstFrames, 1));
        const std::string two = submitSample(alice, "second");
        const auto secondFrames = second->until([&](const WebSocketFrame& f) { return isEndOf(f, two); }, 10s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), countType(secondFrames, "execution_success"));
        CPPUNIT_ASSERT(!mentions(secondFrames, one));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), countBinary(secondFrames, 1)); // none of the first prompt's
        CPPUNIT_ASSERT(!mentions(first->drain(300ms), two));

        // Without client_id ComfyUI broadcasts progress and previews (both tabs) and sends its
        // other events to nobody.
        const std::string none = submitSample(alice, "");
        waitForHistory(alice, none);
        for (auto* tab : {first.get(), second.get()}) {
            const auto frames = tab->drain(400ms);
            CPPUNIT_ASSERT(countType(frames, "progress") > 0);
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), countBinary(frames, 1));
            CPPUNIT_ASSERT_EQUAL(std::size_t(0), countType(frames, "execution_start"));
            CPPUNIT_ASSERT_EQUAL(std::size_t(0), countType(frames, "execution_success"));
        }
    }

    void eachSocketGetsOnlyItsOwnEventSequence()
    {
        // Both users pick the same clientId: the gateway keeps them apart.
        auto aliceSocket = connect(alice, "tab");
        auto bobSocket = connect(bob, "tab");
        const std::string a = submitSample(alice, "tab");
        const std::string b = submitSample(bob, "tab");
        const auto aliceFrames = aliceSocket->until([&](const WebSocketFrame& f) { return isEndOf(f, a); }, 10s);
        const auto bobFrames = bobSocket->until([&](const WebSocketFrame& f) { return isEndOf(f, b); }, 10s);
        for (const auto& [frames, own, other] : {std::tuple(aliceFrames, a, b), std::tuple(bobFrames, b, a)}) {
            for (const char* type : {"execution_start", "execution_cached", "executing", "progress_state", "progress",
                                     "executed", "execution_success"})
                CPPUNIT_ASSERT_MESSAGE(type, countType(frames, type) > 0);
            for (const auto& frame : frames) {
                const std::string id = promptIdOf(frame);
                CPPUNIT_ASSERT_MESSAGE(frame.payload, id.empty() || id == own);
            }
            CPPUNIT_ASSERT(!mentions(frames, other));
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), countBinary(frames, 1)); // its own two previews
        }
        // Nothing of alice's trails in on bob's socket afterwards.
        CPPUNIT_ASSERT(!mentions(bobSocket->drain(300ms), a));
    }

    void promptWithoutClientIdReachesOnlyItsOwner()
    {
        _comfy->setTextBroadcast(true);
        _comfy->setCustomBroadcast(true);
        auto aliceSocket = connect(alice, "tab");
        auto bobSocket = connect(bob, "tab");
        const std::string a = submitSample(alice, ""); // ComfyUI broadcasts what has no client_id
        waitForHistory(alice, a);
        const auto aliceFrames = aliceSocket->drain(400ms);
        const auto bobFrames = bobSocket->drain(100ms);
        CPPUNIT_ASSERT(countType(aliceFrames, "progress") > 0);
        CPPUNIT_ASSERT(countType(aliceFrames, "progress_state") > 0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), countBinary(aliceFrames, 1));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), countBinary(aliceFrames, 3));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), countType(aliceFrames, "crystools.monitor"));
        for (const auto& frame : bobFrames)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(frame.payload, std::string("status"), frame.type());
        CPPUNIT_ASSERT(!bobFrames.empty()); // the queue changes still reach bob, with his own count
        for (const auto& frame : bobFrames)
            CPPUNIT_ASSERT_EQUAL(0, frame.json()
                                        ->getObject("data")
                                        ->getObject("status")
                                        ->getObject("exec_info")
                                        ->getValue<int>("queue_remaining"));
    }

    void metadataPreviewsReachOnlyTheOwner()
    {
        auto aliceSocket = connect(alice, "tab");
        auto bobSocket = connect(bob, "tab");
        for (auto* socket : {aliceSocket.get(), bobSocket.get()}) {
            socket->sendText(R"({"type":"feature_flags","data":{"supports_preview_metadata":true}})");
            const auto frames = socket->until([](const WebSocketFrame& f) { return f.type() == "feature_flags"; }, 5s);
            CPPUNIT_ASSERT(frames.back().json()->getObject("data")->getValue<bool>("supports_preview_metadata"));
        }
        const std::string a = submitSample(alice, "tab");
        const auto aliceFrames = aliceSocket->until([&](const WebSocketFrame& f) { return isEndOf(f, a); }, 10s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), countBinary(aliceFrames, 4));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), countBinary(aliceFrames, 1));
        CPPUNIT_ASSERT(mentions(aliceFrames, "\"prompt_id\":\"" + a + "\""));
        const auto bobFrames = bobSocket->drain(300ms);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), countBinary(bobFrames, 4));
        CPPUNIT_ASSERT(!mentions(bobFrames, a));
    }

    void anotherUsersClientIdGetsNothing()
    {
        auto aliceSocket = connect(alice, "tab");
        aliceSocket->next(5s);
        // bob names alice's socket, with and without her prefix.
        auto thief = connect(bob, "alice.tab");
        auto otherThief = connect(bob, "tab");
        const std::string a = submitSample(alice, "tab");
        aliceSocket->until([&](const WebSocketFrame& f) { return isEndOf(f, a); }, 10s);
        CPPUNIT_ASSERT(!mentions(thief->drain(300ms), a));
        CPPUNIT_ASSERT(!mentions(otherThief->drain(100ms), a));
        // Nor can anyone name the gateway's own socket: a client's clientId names only its own tab.
        auto gatewayThief = connect(bob, _comfy->webSocketSids().front());
        const std::string ownAgain = submitSample(alice, "tab");
        aliceSocket->until([&](const WebSocketFrame& f) { return isEndOf(f, ownAgain); }, 10s);
        CPPUNIT_ASSERT(!mentions(gatewayThief->drain(300ms), ownAgain));

        // alice's second socket with the same clientId takes over, as in ComfyUI.
        auto second = connect(alice, "tab");
        second->next(5s);
        const std::string again = submitSample(alice, "tab");
        const auto frames = second->until([&](const WebSocketFrame& f) { return isEndOf(f, again); }, 10s);
        CPPUNIT_ASSERT(countType(frames, "execution_success") == 1);
    }

    void originAndCredentialsAreChecked()
    {
        const std::string own = "http://127.0.0.1:" + std::to_string(_server->port());
        auto foreign =
            _client->get("/ws?clientId=x",
                         upgrade({{"Authorization", "Bearer fixture:alice:user"}, {"Origin", "https://evil.example"}}));
        CPPUNIT_ASSERT_EQUAL(403, foreign.status);
        CPPUNIT_ASSERT(foreign.json()->has("error"));
        CPPUNIT_ASSERT_EQUAL(
            403, _client->get("/api/ws", upgrade({{"Authorization", "Bearer fixture:alice:user"}, {"Origin", "null"}}))
                     .status);
        auto anonymous = _client->get("/ws", upgrade({}));
        CPPUNIT_ASSERT_EQUAL(401, anonymous.status);
        CPPUNIT_ASSERT(anonymous.json()->has("error"));
        CPPUNIT_ASSERT_EQUAL(400, _client->get("/ws?clientId=a%20b", upgrade(alice)).status);
        CPPUNIT_ASSERT_EQUAL(400, _client->get("/ws", alice).status); // not an upgrade
        // The page's own origin (any scheme) and listed origins may connect.
        Headers sameSite = alice;
        sameSite["Origin"] = own;
        CPPUNIT_ASSERT(WebSocketTestClient(_server->port(), "/api/ws?clientId=s", sameSite).next(5s));
        Headers listed = alice;
        listed["Origin"] = "https://APP.example.com";
        CPPUNIT_ASSERT(WebSocketTestClient(_server->port(), "/ws?clientId=l", listed).next(5s));
    }

    void upstreamDownAnswers502WithoutUpgrade()
    {
        _comfy->setFailing(true); // ComfyUI answers 500 and refuses every upgrade
        // A gateway started now cannot open its upstream socket in the background either.
        startGateway({{"http.access_log", "off"}});
        auto result = _client->get("/ws?clientId=x", upgrade(alice));
        CPPUNIT_ASSERT_EQUAL(502, result.status);
        CPPUNIT_ASSERT(result.json()->getValue<std::string>("error").find("ComfyUI") != std::string::npos);
        CPPUNIT_ASSERT(result.header("upgrade").empty());
        _comfy->setFailing(false);
        CPPUNIT_ASSERT(connect(alice, "x")->next(5s));
    }

    void kernelEventsReachOnlyTheirUser()
    {
        auto aliceSocket = connect(alice, "tab");
        auto bobSocket = connect(bob, "tab");
        aliceSocket->next(5s);
        bobSocket->next(5s);
        CPPUNIT_ASSERT_EQUAL(200, _client->request("POST", "/fixture/events?type=download_progress", "", alice).status);
        const auto frames =
            aliceSocket->until([](const WebSocketFrame& f) { return f.type() == "download_progress"; }, 5s);
        CPPUNIT_ASSERT_EQUAL(0, frames.back().json()->getObject("data")->getValue<int>("seq"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), countType(bobSocket->drain(300ms), "download_progress"));
    }

    void slowClientIsClosedWithoutDelayingOthers()
    {
        auto slow = connect(alice, "slow");
        auto bobSocket = connect(bob, "tab");
        bobSocket->next(5s);
        // 400 events of 64 KiB for alice, who reads nothing: her queue (64 frames) overflows.
        CPPUNIT_ASSERT_EQUAL(200, _client->request("POST", "/fixture/events?count=400&pad=65536", "", alice).status);
        const auto started = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT_EQUAL(200, _client->request("POST", "/fixture/events?type=for_bob", "", bob).status);
        bobSocket->until([](const WebSocketFrame& f) { return f.type() == "for_bob"; }, 5s);
        const auto waited = std::chrono::steady_clock::now() - started;
        CPPUNIT_ASSERT_MESSAGE(
            "bob waited " + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()) +
                " ms",
            waited < 1s);
        // alice finds what was already under way, then the close: 1008 with a reason.
        const auto frames = slow->until([](const WebSocketFrame& f) { return f.isClose(); }, 20s);
        CPPUNIT_ASSERT_EQUAL(1008, frames.back().closeCode());
        CPPUNIT_ASSERT(frames.size() < 400);
        CPPUNIT_ASSERT(waitForMetric("comfygate_websockets_open 1"));
    }

    void upstreamRestartKeepsClientsAndReconnects()
    {
        auto socket = connect(alice, "tab");
        socket->next(5s);
        CPPUNIT_ASSERT(waitForMetric("comfygate_websockets_open 1"));
        const unsigned port = _comfy->port();
        _comfy->stop();
        // The client stays connected while ComfyUI is away; a new one cannot get in.
        for (const auto& frame : socket->drain(500ms))
            CPPUNIT_ASSERT_MESSAGE(frame.payload, !frame.isClose());
        CPPUNIT_ASSERT_EQUAL(502, _client->get("/ws?clientId=late", upgrade(bob)).status);
        CPPUNIT_ASSERT(waitForMetric("comfygate_websockets_open 1"));

        _comfy->start(port);
        // The hub reconnects by itself; ComfyUI's first status reaches the client with its own sid.
        const auto frames = socket->until([](const WebSocketFrame& f) { return f.type() == "status"; }, 10s);
        CPPUNIT_ASSERT_EQUAL(std::string("tab"), frames.back().json()->getObject("data")->getValue<std::string>("sid"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _comfy->openWebSockets());
        const std::string a = submitSample(alice, "tab");
        const auto events = socket->until([&](const WebSocketFrame& f) { return isEndOf(f, a); }, 10s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), countType(events, "execution_success"));
    }

    void oversizedClientMessageCloses1009()
    {
        auto socket = connect(alice, "tab");
        socket->next(5s);
        socket->sendText(std::string(5 * 1024, 'x')); // comfy.ws_max_message_kib = 4
        const auto frames = socket->until([](const WebSocketFrame& f) { return f.isClose(); }, 5s);
        CPPUNIT_ASSERT_EQUAL(1009, frames.back().closeCode());
        // Binary frames from the client are dropped, the socket stays usable.
        auto other = connect(alice, "tab2");
        other->next(5s);
        const std::string bytes(16, '\1');
        other->socket().sendFrame(bytes.data(), static_cast<int>(bytes.size()), Poco::Net::WebSocket::FRAME_BINARY);
        const std::string a = submitSample(alice, "tab2");
        other->until([&](const WebSocketFrame& f) { return isEndOf(f, a); }, 10s);
    }

private:
    std::unique_ptr<WebSocketTestClient> connect(const Headers& user, const std::string& clientId)
    {
        return std::make_unique<WebSocketTestClient>(_server->port(),
                                                     clientId.empty() ? "/ws" : "/ws?clientId=" + clientId, user);
    }

    /// Runs the sample graph as `user`, its events going to the tab `clientId` ("": none).
    std::string submitSample(const Headers& user, const std::string& clientId)
    {
        return submit(user, comfygate::test::sampleWorkflow(), clientId);
    }

    bool waitForMetric(const std::string& line)
    {
        for (int i = 0; i < 200; ++i) {
            if (_client->get("/metrics").body.find(line + "\n") != std::string::npos)
                return true;
            std::this_thread::sleep_for(25ms);
        }
        return false;
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(WebSocketProxyTest);
