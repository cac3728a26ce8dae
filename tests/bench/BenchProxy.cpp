// The comfy-proxy's cost: requests/s and median/p99 latency of GET /history (50 items from two
// users, each caller sees their 25) and POST /prompt, straight to the fake ComfyUI and through
// the gateway with an API token of a `power` user (filtered like any non-admin), measured in
// one run; ratios and the added latency.
#include "FakeComfyUI.h"
#include "HttpTestClient.h"
#include "LoadGenerator.h"
#include "ServerProcess.h"

#include <Poco/String.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

using comfygate::bench::LoadGenerator;
using Headers = std::map<std::string, std::string>;

namespace {

const std::string graph =
    R"({"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"sd15.safetensors"}},)"
    R"("5":{"class_type":"EmptyLatentImage","inputs":{"width":512,"height":512,"batch_size":1}},)"
    R"("6":{"class_type":"CLIPTextEncode","inputs":{"text":"a red fox","clip":["4",1]}},)"
    R"("7":{"class_type":"CLIPTextEncode","inputs":{"text":"","clip":["4",1]}},)"
    R"("3":{"class_type":"KSampler","inputs":{"seed":1,"steps":20,"cfg":7.5,"sampler_name":"euler",)"
    R"("scheduler":"normal","denoise":1,"model":["4",0],"positive":["6",0],"negative":["7",0],"latent_image":["5",0]}},)"
    R"("8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}},)"
    R"("9":{"class_type":"SaveImage","inputs":{"filename_prefix":"bench","images":["8",0]}}})";

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

    const LoadGenerator load(server.port(), 4, std::chrono::milliseconds(3000));
    const LoadGenerator direct(comfy.port(), 4, std::chrono::milliseconds(3000));
    const LoadGenerator::Request history{"GET", "/history", first, {}};
    const LoadGenerator::Request historyDirect{"GET", "/history", {}, {}};
    const LoadGenerator::Request prompt{"POST", "/prompt", first, "{\"prompt\":" + graph + "}"};
    const LoadGenerator::Request promptDirect{"POST", "/prompt", {}, "{\"prompt\":" + graph + "}"};

    direct.run(historyDirect); // warm-up
    load.run(history);
    const auto historyStraight = direct.run(historyDirect);
    const auto historyProxied = load.run(history);
    const auto promptStraight = direct.run(promptDirect);
    const auto promptProxied = load.run(prompt);

    std::printf("4 connections, 3 s each; history holds %zu items (the caller sees 25)\n",
                client.get("/history", first).json()->size() + client.get("/history", second).json()->size());
    std::printf("%-13s %9s %7s %7s | %9s %7s %7s | %6s %8s %8s\n", "", "direct/s", "p50 ms", "p99 ms", "gateway/s",
                "p50 ms", "p99 ms", "ratio", "+p50 ms", "+p99 ms");
    printRow("GET /history", historyStraight, historyProxied);
    printRow("POST /prompt", promptStraight, promptProxied);
    comfy.stop();
    const long long failures =
        historyStraight.failures + historyProxied.failures + promptStraight.failures + promptProxied.failures;
    return failures == 0 ? 0 : 1;
}
