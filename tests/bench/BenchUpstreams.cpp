// Issue 14's ratio for several ComfyUI hosts: how many prompts a second of POST /prompt the
// gateway gets through with one upstream (comfy.url) and with two (comfy.upstreams), when each
// host runs one prompt at a time for a fixed time, as a GPU does. A batch of prompts is
// submitted at once by a few clients, and the throughput is the batch divided by the time
// until the gateway's merged /queue is empty again. The two set-ups take turns, so that load
// from elsewhere on a shared machine falls on both alike.
#include "FakeComfyUI.h"
#include "GoalTable.h"
#include "HttpTestClient.h"
#include "SampleGraph.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "TestPaths.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

using comfygate::bench::GoalTable;
using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using Clock = std::chrono::steady_clock;

namespace {

const std::map<std::string, std::string> user{{"Authorization", "Bearer fixture:bench:user"}};

const std::string body = "{\"prompt\":" + comfygate::bench::sampleGraph + "}";

constexpr int prompts = 24;                              ///< per batch
constexpr int clients = 4;                               ///< submitting at once
constexpr auto gpuTime = std::chrono::milliseconds(250); ///< per prompt, one at a time per host
constexpr int rounds = 2;

std::unique_ptr<comfygate::fakes::FakeComfyUI> gpuHost(const std::string& root)
{
    auto host = std::make_unique<comfygate::fakes::FakeComfyUI>(root);
    host->addModel("checkpoints", "sd15.safetensors");
    host->setExecutionTime(gpuTime);
    host->setPreviewFrames(0);
    host->start();
    return host;
}

std::unique_ptr<ServerProcess> gateway(const std::string& upstreamKey, const std::string& upstreams)
{
    auto server = std::make_unique<ServerProcess>(
        std::map<std::string, std::string>{{"modules.dir", COMFYGATE_MODULE_DIR "," COMFYGATE_TEST_MODULE_DIR},
                                           {"modules.enabled", "comfy-proxy,fixture_auth"},
                                           {upstreamKey, upstreams},
                                           {"log.level", "warning"}});
    server->start();
    return server;
}

bool queueEmpty(const HttpTestClient& client)
{
    const auto queue = client.get("/queue", user).json();
    return queue->getArray("queue_running")->size() == 0 && queue->getArray("queue_pending")->size() == 0;
}

/// One batch through `server`: prompts a second until the last one finished; failures counted.
double batch(const ServerProcess& server, std::atomic<int>& failures)
{
    const HttpTestClient client(server.port());
    const auto start = Clock::now();
    std::vector<std::thread> submitters;
    for (int c = 0; c < clients; ++c) {
        submitters.emplace_back([&] {
            const HttpTestClient own(server.port());
            for (int i = 0; i < prompts / clients; ++i)
                if (own.postJson("/prompt", body, user).status != 200)
                    ++failures;
        });
    }
    for (auto& submitter : submitters)
        submitter.join();
    while (!queueEmpty(client))
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return prompts / seconds;
}

} // namespace

int main()
{
    try {
        comfygate::test::TempDir firstRoot, secondRoot;
        auto first = gpuHost(firstRoot.path());
        auto second = gpuHost(secondRoot.path());
        auto one = gateway("comfy.url", first->url());
        auto two = gateway("comfy.upstreams", first->url() + "," + second->url());
        // Both gateways see the second host up before measuring (its monitor's first status).
        const HttpTestClient warm(two->port());
        for (int i = 0; i < 200 && two->metric("comfygate_upstreams_up").value_or(0) < 2; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(25));

        std::atomic<int> failures{0};
        double oneHost = 0, twoHosts = 0;
        for (int round = 0; round < rounds; ++round) {
            oneHost += batch(*one, failures) / rounds;
            twoHosts += batch(*two, failures) / rounds;
        }
        std::printf("POST /prompt, %d prompts from %d clients, %lld ms each on a host that runs one at a time\n",
                    prompts, clients, static_cast<long long>(gpuTime.count()));
        std::printf("one upstream:  %.2f prompts/s (a host alone: %.2f)\n", oneHost, 1000.0 / gpuTime.count());
        std::printf("two upstreams: %.2f prompts/s\n", twoHosts);
        std::printf("failed submissions: %d\n", failures.load());

        GoalTable table;
        table.add(GoalTable::ratioRow("POST /prompt throughput, two ComfyUI hosts (comfy.upstreams)",
                                      "the same gateway with one host", twoHosts, oneHost, "prompts/s", 1.8,
                                      failures.load() == 0));
        table.publish();
        two.reset();
        one.reset();
        second->stop();
        first->stop();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "bench_upstreams: " << e.what() << "\n";
        return 1;
    }
}
