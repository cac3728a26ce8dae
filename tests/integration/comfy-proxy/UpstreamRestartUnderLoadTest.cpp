// Fault injection (issue 15): ComfyUI killed and started again while clients keep the gateway
// busy with reads, prompts and WebSockets. Every answer is either ComfyUI's (200) or the
// gateway's 502 {"error": "ComfyUI is not reachable ..."}, never a 500, a hang or a broken
// response; the open WebSocket stays connected and hears ComfyUI again once it is back; prompts
// submitted after the restart run to execution_success.
#include "ComfyGateway.h"

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using namespace comfygate::test;
using namespace std::chrono_literals;

namespace {

/// What the load saw: how many answers of each kind, and the first unexpected ones.
struct LoadOutcome
{
    std::mutex mutex;
    int ok = 0;
    int unreachable = 0; ///< 502 with the gateway's JSON error `upstream_unavailable`
    std::vector<std::string> unexpected;

    void record(const std::string& what, const HttpResult& answer)
    {
        std::lock_guard lock(mutex);
        if (answer.status == 200) {
            ++ok;
            return;
        }
        try {
            // Refused at connect ("ComfyUI is not reachable at ..."), or cut off mid-answer by
            // the kill ("ComfyUI closed the connection in the middle of an answer"): both are the
            // gateway's JSON 502, and both are what a client of a ComfyUI that died is owed.
            if (answer.status == 502 && answer.json()->getValue<std::string>("code") == "upstream_unavailable" &&
                !answer.json()->getValue<std::string>("error").empty()) {
                ++unreachable;
                return;
            }
        } catch (const std::exception&) {
        }
        unexpected.push_back(what + " answered " + std::to_string(answer.status) + ": " + answer.body.substr(0, 200));
    }

    void failed(const std::string& what, const std::string& error)
    {
        std::lock_guard lock(mutex);
        unexpected.push_back(what + " failed: " + error);
    }
};

} // namespace

class UpstreamRestartUnderLoadTest : public ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(UpstreamRestartUnderLoadTest);
    CPPUNIT_TEST(comfyRestartUnderLoadLosesNoAnswer);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _comfy->setExecutionTime(30ms);
        _comfy->setPreviewFrames(0);
        startGateway({{"http.access_log", "off"}});
    }

    void comfyRestartUnderLoadLosesNoAnswer()
    {
        WebSocketTestClient socket(_server->port(), "/ws?clientId=watcher", alice);
        CPPUNIT_ASSERT_EQUAL(std::string("status"), socket.next(5s)->type());

        LoadOutcome outcome;
        std::atomic<bool> stop{false};
        std::vector<std::thread> clients;
        const std::vector<std::string> reads{"/object_info/KSampler", "/queue", "/system_stats", "/history"};
        for (int i = 0; i < 4; ++i)
            clients.emplace_back([&, i] {
                const HttpTestClient client(_server->port());
                const Headers& user = i % 2 ? alice : bob;
                for (long n = 0; !stop; ++n) {
                    const bool prompt = n % 4 == 3;
                    const std::string what = prompt ? "POST /prompt" : "GET " + reads[n % reads.size()];
                    try {
                        outcome.record(what, prompt ? client.postJson("/prompt", "{\"prompt\":" + sampleWorkflow() + "}",
                                                                      user)
                                                    : client.get(reads[n % reads.size()], user));
                    } catch (const std::exception& error) {
                        outcome.failed(what, error.what());
                    }
                }
            });

        const auto answered = [&outcome] {
            std::lock_guard lock(outcome.mutex);
            return outcome.ok + outcome.unreachable + static_cast<int>(outcome.unexpected.size());
        };
        const auto waitForMore = [&](int count) {
            const int target = answered() + count;
            while (answered() < target)
                std::this_thread::sleep_for(10ms);
        };
        waitForMore(50);
        const unsigned port = _comfy->port();
        _comfy->stop(); // like kill: every connection and socket of ComfyUI goes away at once
        waitForMore(50);
        {
            std::lock_guard lock(outcome.mutex);
            CPPUNIT_ASSERT_MESSAGE("no client was told ComfyUI is away", outcome.unreachable > 0);
        }
        // The socket stays connected while ComfyUI is away.
        for (const auto& frame : socket.drain(300ms))
            CPPUNIT_ASSERT_MESSAGE(frame.payload, !frame.isClose());

        _comfy->start(port);
        // The gateway's hub reconnects by itself; ComfyUI's status reaches the socket again.
        socket.until([](const WebSocketFrame& f) { return f.type() == "status"; }, 15s);
        const int okBefore = [&] {
            std::lock_guard lock(outcome.mutex);
            return outcome.ok;
        }();
        waitForMore(50);
        stop = true;
        for (auto& client : clients)
            client.join();

        CPPUNIT_ASSERT_MESSAGE(outcome.unexpected.empty() ? "" : outcome.unexpected.front(), outcome.unexpected.empty());
        CPPUNIT_ASSERT_MESSAGE("nothing succeeded after the restart", outcome.ok > okBefore);
        // A prompt after the restart runs to its end and its events reach the socket.
        const std::string id = submit(alice, sampleWorkflow(), "watcher");
        socket.until([&](const WebSocketFrame& f) { return f.type() == "execution_success" && promptIdOf(f) == id; },
                     20s);
        CPPUNIT_ASSERT(waitForHistory(alice, id));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UpstreamRestartUnderLoadTest);
