// Issue 4's WebSocket benchmark: what 2,000 idle authenticated WebSocket clients cost the
// gateway (RSS, threads), and the event latency from POST /prompt to execution_success through
// the gateway against the same fake ComfyUI directly (median and p99 over 200 prompts).
// Issue 18's reference is the fake serving the 2,000 clients itself (the gateway holds one
// upstream socket for all of its clients, so it shields ComfyUI from their number).
#include "FakeComfyUI.h"
#include "GoalTable.h"
#include "TestPaths.h"
#include "HttpTestClient.h"
#include "SampleWorkflow.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "WebSocketTestClient.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

using comfygate::fakes::FakeComfyUI;
using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using comfygate::test::WebSocketFrame;
using comfygate::test::WebSocketTestClient;
using namespace std::chrono_literals;

namespace {

constexpr int idleClients = 2000;
constexpr int prompts = 200;
const std::map<std::string, std::string> user{{"Authorization", "Bearer fixture:bench:user"}};

struct ProcessStatus
{
    double rssMiB = 0;
    int threads = 0;
};

ProcessStatus statusOf(pid_t pid)
{
    ProcessStatus status;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            status.rssMiB = std::stod(line.substr(6)) / 1024.0;
        else if (line.rfind("Threads:", 0) == 0)
            status.threads = std::stoi(line.substr(8));
    }
    return status;
}

void raiseFileLimit()
{
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max; // the gateway child inherits it
    setrlimit(RLIMIT_NOFILE, &limit);
}

struct Latency
{
    double medianMs = 0;
    double p99Ms = 0;
};

Latency summarize(std::vector<double> samples)
{
    std::sort(samples.begin(), samples.end());
    const auto at = [&samples](double q) {
        return samples[std::min(samples.size() - 1, static_cast<std::size_t>(q * samples.size()))];
    };
    return {at(0.5), at(0.99)};
}

/// Submits `prompts` prompts one after another with `clientId` and times each until the
/// socket delivers its execution_success.
Latency measure(WebSocketTestClient& socket, const HttpTestClient& http, const std::string& clientId,
                const std::map<std::string, std::string>& headers)
{
    socket.drain(100ms);
    const std::string body =
        "{\"prompt\":" + comfygate::test::sampleWorkflow(4) + ",\"client_id\":\"" + clientId + "\"}";
    std::vector<double> samples;
    for (int i = 0; i < prompts; ++i) {
        const auto started = std::chrono::steady_clock::now();
        const auto answer = http.postJson("/prompt", body, headers);
        if (answer.status != 200)
            throw std::runtime_error("POST /prompt answered " + std::to_string(answer.status) + ": " + answer.body);
        const std::string id = answer.json()->getValue<std::string>("prompt_id");
        socket.until(
            [&id](const WebSocketFrame& f) {
                return f.type() == "execution_success" && f.payload.find(id) != std::string::npos;
            },
            10s);
        samples.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    }
    return summarize(samples);
}

/// GET /queue requests the gateway made since the last clearRequests() (its status snapshots).
std::size_t queueFetches(const FakeComfyUI& comfy)
{
    const auto requests = comfy.requests();
    return static_cast<std::size_t>(std::count_if(requests.begin(), requests.end(), [](const auto& r) {
        return r.method == "GET" && (r.uri == "/queue" || r.uri == "/api/queue");
    }));
}

} // namespace

int main()
{
    raiseFileLimit();
    comfygate::test::TempDir root;
    FakeComfyUI comfy(root.path());
    comfy.addModel("checkpoints", "sd15.safetensors");
    comfy.setExecutionTime(0ms);
    comfy.setPreviewFrames(0);
    comfy.start();
    ServerProcess server({{"modules.dir", COMFYGATE_MODULE_DIR "," COMFYGATE_TEST_MODULE_DIR},
                          {"modules.enabled", "comfy-proxy,fixture_auth"},
                          {"comfy.url", comfy.url()},
                          {"http.access_log", "off"},
                          {"log.level", "warning"}});
    server.start();
    const HttpTestClient gateway(server.port());
    const HttpTestClient direct(comfy.port());

    std::this_thread::sleep_for(500ms);
    const ProcessStatus before = statusOf(server.pid());
    std::vector<std::unique_ptr<WebSocketTestClient>> idle;
    idle.reserve(idleClients);
    const auto opening = std::chrono::steady_clock::now();
    for (int i = 0; i < idleClients; ++i) {
        idle.push_back(
            std::make_unique<WebSocketTestClient>(server.port(), "/ws?clientId=idle" + std::to_string(i), user));
        if (!idle.back()->next(5s)) {
            std::cerr << "idle client " << i << " got no status frame\n";
            return 1;
        }
    }
    const double openSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - opening).count();
    std::this_thread::sleep_for(1s);
    const ProcessStatus after = statusOf(server.pid());
    const std::size_t upstreamSockets = comfy.openWebSockets();

    WebSocketTestClient viaGateway(server.port(), "/ws?clientId=bench", user);
    WebSocketTestClient straight(comfy.port(), "/ws?clientId=direct");
    comfy.clearRequests();
    const Latency gatewayBusy = measure(viaGateway, gateway, "bench", user);
    const double fetchesPerPrompt = static_cast<double>(queueFetches(comfy)) / prompts;
    const Latency directBusy = measure(straight, direct, "direct", {});
    for (auto& client : idle)
        client->close();
    idle.clear();
    // The same 2,000 clients straight at the fake: what ComfyUI bears without the gateway.
    for (int i = 0; i < idleClients; ++i) {
        idle.push_back(std::make_unique<WebSocketTestClient>(comfy.port(), "/ws?clientId=idle" + std::to_string(i)));
        if (!idle.back()->next(5s)) {
            std::cerr << "direct idle client " << i << " got no status frame\n";
            return 1;
        }
    }
    std::this_thread::sleep_for(1s);
    const Latency directCrowded = measure(straight, direct, "direct", {});
    for (auto& client : idle)
        client->close();
    idle.clear();
    std::this_thread::sleep_for(1s);
    const Latency gatewayQuiet = measure(viaGateway, gateway, "bench", user);
    const Latency directQuiet = measure(straight, direct, "direct", {});

    std::printf("%d idle WebSocket clients (opened in %.1f s; upstream sockets at the fake: %zu)\n", idleClients,
                openSeconds, upstreamSockets);
    std::printf("  %-28s %10s %10s %12s\n", "gateway process", "before", "after", "per client");
    std::printf("  %-28s %10.1f %10.1f %10.1f KiB\n", "RSS (MiB)", before.rssMiB, after.rssMiB,
                (after.rssMiB - before.rssMiB) * 1024.0 / idleClients);
    std::printf("  %-28s %10d %10d %12s\n", "threads", before.threads, after.threads, "");
    std::printf("POST /prompt -> execution_success, %d prompts each, fake at zero delay (ms)\n", prompts);
    std::printf("  %-44s %8s %8s\n", "", "median", "p99");
    std::printf("  %-44s %8.2f %8.2f\n", "through the gateway, 2,000 idle sockets open", gatewayBusy.medianMs,
                gatewayBusy.p99Ms);
    std::printf("  %-44s %8.2f %8.2f\n", "directly from the fake, 2,000 idle open", directBusy.medianMs,
                directBusy.p99Ms);
    std::printf("  %-44s %8.2f %8.2f\n", "directly from the fake, 2,000 idle open at it", directCrowded.medianMs,
                directCrowded.p99Ms);
    std::printf(
        "  (%.1f GET /queue per prompt for the status frames of 2,001 sockets; 3 status broadcasts per prompt)\n",
        fetchesPerPrompt);
    std::printf("  ratio gateway / fake with the 2,000 at the fake (issue 18: <= 0.5): median %.2f, p99 %.2f\n",
                gatewayBusy.medianMs / directCrowded.medianMs, gatewayBusy.p99Ms / directCrowded.p99Ms);
    std::printf("  ratio gateway / fake beside the gateway's 2,000: median %.2f, p99 %.2f\n",
                gatewayBusy.medianMs / directBusy.medianMs, gatewayBusy.p99Ms / directBusy.p99Ms);
    std::printf("  %-44s %8.2f %8.2f\n", "through the gateway, no other sockets", gatewayQuiet.medianMs,
                gatewayQuiet.p99Ms);
    std::printf("  %-44s %8.2f %8.2f\n", "directly from the fake, no other sockets", directQuiet.medianMs,
                directQuiet.p99Ms);

    std::printf("\n");
    using comfygate::bench::GoalTable;
    GoalTable goals;
    const double latencyRatio = gatewayBusy.medianMs / directCrowded.medianMs;
    goals.add({"event latency, 2,000 WebSocket clients open (median)", "the fake serving the 2,000 itself",
               GoalTable::format("%.1f ms", gatewayBusy.medianMs), GoalTable::format("%.1f ms", directCrowded.medianMs),
               GoalTable::format("%.2f", latencyRatio), "≤ 0.5", latencyRatio <= 0.5});
    goals.add({"RSS with 2,000 idle WebSockets", "-", GoalTable::format("%.1f MiB", after.rssMiB), "-", "-",
               "< 64 MiB", after.rssMiB < 64});
    goals.publish();
    return 0;
}
