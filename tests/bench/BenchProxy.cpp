// The comfy-proxy's cost: requests/s and median/p99 latency of GET /history (50 items from two
// users, each caller sees their 25) and POST /prompt, straight to the fake ComfyUI and through
// the gateway with an API token of a `power` user (filtered like any non-admin), measured in
// one run; ratios and the added latency. Then the throughput of one client's GET /view of a
// 500 MB output (a sparse file in the user's own output folder), best of three each way.
#include "FakeComfyUI.h"
#include "GoalTable.h"
#include "HttpTestClient.h"
#include "LoadGenerator.h"
#include "SampleGraph.h"
#include "ServerProcess.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

using comfygate::bench::LoadGenerator;
using Headers = std::map<std::string, std::string>;

namespace {

const std::string& graph = comfygate::bench::sampleGraph;

std::string createToken(comfygate::test::ServerProcess& server, const std::string& name)
{
    std::string out, err;
    if (server.runCommand({"user", "add", name, "--role", "power", "--password-stdin"}, out, err,
                          "orbit lantern cobalt 8\n") != 0 ||
        server.runCommand({"token", "create", name}, out, err) != 0)
        throw std::runtime_error("cannot create " + name + ": " + err);
    return Poco::trim(out);
}

void printRow(const char* what, const LoadGenerator::Result& direct, const LoadGenerator::Result& gateway)
{
    std::printf("%-13s %9.0f %7.2f %7.2f | %9.0f %7.2f %7.2f | %6.2f %+8.2f %+8.2f   (%lld/%lld failures)\n", what,
                direct.requestsPerSecond(), direct.percentileMs(0.5), direct.percentileMs(0.99),
                gateway.requestsPerSecond(), gateway.percentileMs(0.5), gateway.percentileMs(0.99),
                gateway.requestsPerSecond() / direct.requestsPerSecond(),
                gateway.percentileMs(0.5) - direct.percentileMs(0.5),
                gateway.percentileMs(0.99) - direct.percentileMs(0.99), direct.failures, gateway.failures);
}

/// Direct and gateway runs taken in turns (1 s each, 3 rounds), so that load from elsewhere
/// on a shared machine falls on both sides alike; each side's runs summed.
std::pair<LoadGenerator::Result, LoadGenerator::Result> inTurns(const LoadGenerator& direct,
                                                                const LoadGenerator::Request& straight,
                                                                const LoadGenerator& gateway,
                                                                const LoadGenerator::Request& proxied)
{
    auto add = [](LoadGenerator::Result& sum, const LoadGenerator::Result& run) {
        sum.requests += run.requests;
        sum.failures += run.failures;
        sum.seconds += run.seconds;
        sum.latenciesMs.insert(sum.latenciesMs.end(), run.latenciesMs.begin(), run.latenciesMs.end());
    };
    std::pair<LoadGenerator::Result, LoadGenerator::Result> sums;
    for (int round = 0; round < 3; ++round) {
        add(sums.first, direct.run(straight));
        add(sums.second, gateway.run(proxied));
    }
    std::sort(sums.first.latenciesMs.begin(), sums.first.latenciesMs.end());
    std::sort(sums.second.latenciesMs.begin(), sums.second.latenciesMs.end());
    return sums;
}

/// MB/s of one GET of `path` on a fresh connection, the body read in 1 MiB blocks and dropped
/// (like `curl -o /dev/null`); 0 when the answer is not a 200 with the whole body.
double downloadMBps(unsigned port, const std::string& path, const Headers& headers)
{
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const auto& [name, value] : headers)
        request += name + ": " + value + "\r\n";
    request += "\r\n";
    const auto start = std::chrono::steady_clock::now();
    socket.sendBytes(request.data(), static_cast<int>(request.size()));
    std::vector<char> buffer(1 << 20);
    std::string head;
    std::size_t headEnd = std::string::npos;
    long long body = 0;
    for (;;) {
        const int got = socket.receiveBytes(buffer.data(), static_cast<int>(buffer.size()));
        if (got <= 0)
            break;
        if (headEnd == std::string::npos) {
            head.append(buffer.data(), static_cast<std::size_t>(got));
            headEnd = head.find("\r\n\r\n");
            if (headEnd != std::string::npos)
                body += static_cast<long long>(head.size() - headEnd - 4);
        } else {
            body += got;
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto lengthAt = Poco::toLower(head.substr(0, headEnd)).find("content-length:");
    const long long length = lengthAt == std::string::npos
                                 ? -1
                                 : Poco::NumberParser::parse64(Poco::trim(head.substr(lengthAt + 15, head.find('\r', lengthAt) - lengthAt - 15)));
    if (head.rfind("HTTP/1.1 200", 0) != 0 || body != length)
        return 0;
    return static_cast<double>(body) / 1e6 / seconds;
}

} // namespace

int main()
{
    comfygate::test::TempDir comfyRoot;
    comfygate::fakes::FakeComfyUI comfy(comfyRoot.path());
    comfy.addModel("checkpoints", "sd15.safetensors");
    comfy.setExecutionTime(std::chrono::milliseconds(1));
    comfy.setPreviewFrames(0);
    comfy.start();

    comfygate::test::ServerProcess server({{"modules.enabled", "auth,comfy-proxy"},
                                           {"comfy.url", comfy.url()},
                                           {"http.access_log", "off"},
                                           {"log.level", "warning"}});
    const Headers first{{"Authorization", "Bearer " + createToken(server, "bench1")}};
    const Headers second{{"Authorization", "Bearer " + createToken(server, "bench2")}};
    server.start();

    // ~50 finished prompts from two users, submitted through the gateway so it knows the owners.
    comfygate::test::HttpTestClient client(server.port());
    for (int i = 0; i < 25; ++i) {
        for (const auto* user : {&first, &second}) {
            if (client.postJson("/prompt", "{\"prompt\":" + graph + "}", *user).status != 200) {
                std::cerr << "preloading the history failed\n";
                return 1;
            }
        }
    }
    for (int i = 0;
         i < 400 && client.get("/history", first).json()->size() + client.get("/history", second).json()->size() < 50;
         ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    // From now on prompts only queue up: the benchmark measures submission, not image writing.
    comfy.setExecutionTime(std::chrono::seconds(600));

    const LoadGenerator load(server.port(), 4, std::chrono::milliseconds(1000));
    const LoadGenerator direct(comfy.port(), 4, std::chrono::milliseconds(1000));
    const LoadGenerator::Request history{"GET", "/history", first, {}};
    const LoadGenerator::Request historyDirect{"GET", "/history", {}, {}};
    const LoadGenerator::Request prompt{"POST", "/prompt", first, "{\"prompt\":" + graph + "}"};
    const LoadGenerator::Request promptDirect{"POST", "/prompt", {}, "{\"prompt\":" + graph + "}"};

    direct.run(historyDirect); // warm-up
    load.run(history);
    const auto [historyStraight, historyProxied] = inTurns(direct, historyDirect, load, history);
    const auto [promptStraight, promptProxied] = inTurns(direct, promptDirect, load, prompt);

    std::printf("4 connections, 3 x 1 s each way in turns; history holds %zu items (the caller sees 25)\n",
                client.get("/history", first).json()->size() + client.get("/history", second).json()->size());
    std::printf("%-13s %9s %7s %7s | %9s %7s %7s | %6s %8s %8s\n", "", "direct/s", "p50 ms", "p99 ms", "gateway/s",
                "p50 ms", "p99 ms", "ratio", "+p50 ms", "+p99 ms");
    printRow("GET /history", historyStraight, historyProxied);
    printRow("POST /prompt", promptStraight, promptProxied);

    // A 500 MB output in the first user's own folder (the subfolder their prompts write to).
    const auto firstHistory = client.get("/history", first).json();
    const std::string userFolder = firstHistory->getObject(firstHistory->getNames().front())
                                       ->getObject("outputs")
                                       ->getObject("9")
                                       ->getArray("images")
                                       ->getObject(0)
                                       ->getValue<std::string>("subfolder");
    const std::uint64_t viewBytes = 500'000'000;
    comfy.addLargeOutput(userFolder + "/large.mp4", viewBytes);
    const std::string viewPath = "/view?filename=large.mp4&type=output&subfolder=" + userFolder;
    double viewStraight = 0, viewProxied = 0;
    for (int i = 0; i < 3; ++i) {
        viewStraight = std::max(viewStraight, downloadMBps(comfy.port(), viewPath, {}));
        viewProxied = std::max(viewProxied, downloadMBps(server.port(), viewPath, first));
    }
    std::printf("GET /view     %9.0f MB/s %21s | %9.0f MB/s %19s | %6.2f   (500 MB, one client, best of 3)\n",
                viewStraight, "", viewProxied, "", viewStraight > 0 ? viewProxied / viewStraight : 0.0);
    comfy.stop();
    const long long failures =
        historyStraight.failures + historyProxied.failures + promptStraight.failures + promptProxied.failures;

    std::printf("\n");
    using comfygate::bench::GoalTable;
    GoalTable goals;
    goals.add(GoalTable::ratioRow("GET /history through the gateway (50 items, caller owns 25)",
                                  "straight to the fake ComfyUI", historyProxied.requestsPerSecond(),
                                  historyStraight.requestsPerSecond(), "req/s", 0.8,
                                  historyStraight.failures + historyProxied.failures == 0));
    goals.add(GoalTable::ratioRow("POST /prompt through the gateway", "straight to the fake ComfyUI",
                                  promptProxied.requestsPerSecond(), promptStraight.requestsPerSecond(), "req/s", 0.8,
                                  promptStraight.failures + promptProxied.failures == 0));
    goals.add(GoalTable::ratioRow("GET /view of a 500 MB output, one client", "straight from the fake ComfyUI",
                                  viewProxied, viewStraight, "MB/s", 0.9, viewProxied > 0 && viewStraight > 0));
    goals.publish();
    return failures == 0 && viewProxied > 0 && viewStraight > 0 ? 0 : 1;
}
