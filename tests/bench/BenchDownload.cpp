// Issue 5's benchmark: throughput of one 1 GiB model download from the fake CivitAI on
// loopback through FileTransfer (redirect, streaming to .part, SHA-256 verification, fsync and
// rename) as a ratio to `curl -L -o` of the same URL into the same folder, in the same run.
// COMFYGATE_BENCH_DOWNLOAD_MIB sets another size.
#include "CivitaiResolver.h"
#include "CurlHttpClient.h"
#include "FakeCivitai.h"
#include "FileTransfer.h"
#include "GoalTable.h"
#include "TempDir.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace fakes = comfygate::fakes;
namespace md = comfygate::modeldownload;

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point since)
{
    return std::chrono::duration<double>(Clock::now() - since).count();
}

} // namespace

int main()
{
    const char* mib = std::getenv("COMFYGATE_BENCH_DOWNLOAD_MIB");
    const std::uint64_t size = (mib ? std::strtoull(mib, nullptr, 10) : 1024ull) * 1024 * 1024;

    fakes::FakeCivitai civitai;
    civitai.addFile(fakes::FileSpec{"big", "big.safetensors", size, 1, fakes::ContentKind::Prng});
    fakes::CivitaiModel model;
    model.id = 1;
    model.name = "Bench";
    civitai.addModel(model);
    fakes::CivitaiVersion version;
    version.id = 10;
    version.modelId = 1;
    fakes::CivitaiFile file;
    file.id = 100;
    file.fileKey = "big";
    version.files = {file};
    civitai.addVersion(version);
    civitai.start();

    comfygate::CurlHttpClient http;
    md::CivitaiResolver resolver(http, {civitai.apiUrl()});
    md::SourceRequest request;
    request.source = "civitai";
    request.modelVersionId = "10";
    const md::ResolvedFile resolved = resolver.resolve(request);

    comfygate::test::TempDir dir;
    const std::filesystem::path curlFile = std::filesystem::path(dir.path()) / "curl.safetensors";
    const std::string curlCommand = "curl -sSfL -o '" + curlFile.string() + "' '" + resolved.downloadUrl + "'";
    md::FileTransfer::Settings settings;
    settings.allowPrivateAddresses = true; // the fake is on loopback
    settings.parallelConnections = 4;      // for the parallel row; the single row sets 1 (the default)

    settings.progressInterval = std::chrono::milliseconds(0); // to see when the last byte arrived
    const std::string syncCommand = "sync '" + curlFile.string() + "'";

    double bestCurl = 1e9;
    double bestCurlSynced = 1e9;
    double bestOurs = 1e9;
    double bestOursLastByte = 1e9;
    double bestParallel = 1e9; // downloads.parallel_connections = 4, final hash pass
    for (int round = 0; round < 2; ++round) {
        std::filesystem::remove(curlFile);
        auto started = Clock::now();
        if (std::system(curlCommand.c_str()) != 0) {
            std::cerr << "curl failed: " << curlCommand << "\n";
            return 1;
        }
        bestCurl = std::min(bestCurl, seconds(started));
        if (std::system(syncCommand.c_str()) != 0)
            return 1;
        bestCurlSynced = std::min(bestCurlSynced, seconds(started));
        std::filesystem::remove(curlFile);

        const std::filesystem::path ours = std::filesystem::path(dir.path()) / resolved.fileName;
        std::filesystem::remove(ours);
        started = Clock::now();
        double lastByte = 0;
        md::FileTransfer::Hooks hooks;
        hooks.progress = [&](const md::TransferProgress& progress) {
            if (lastByte == 0 && progress.bytesDone == static_cast<std::int64_t>(size))
                lastByte = seconds(started);
        };
        md::FileTransfer::Settings single = settings;
        single.parallelConnections = 1;
        const auto result = md::FileTransfer(http, single).transfer(resolved, dir.path(), resolved.fileName, hooks);
        bestOurs = std::min(bestOurs, seconds(started));
        bestOursLastByte = std::min(bestOursLastByte, lastByte);
        if (result.sha256 != civitai.sha256("big")) {
            std::cerr << "FileTransfer published a wrong file\n";
            return 1;
        }
        std::filesystem::remove(ours);

        started = Clock::now();
        const auto ranged = md::FileTransfer(http, settings).transfer(resolved, dir.path(), resolved.fileName, {});
        bestParallel = std::min(bestParallel, seconds(started));
        if (ranged.sha256 != civitai.sha256("big")) {
            std::cerr << "FileTransfer with parallel ranges published a wrong file\n";
            return 1;
        }
        std::filesystem::remove(ours);
    }

    const double mebibytes = double(size) / (1024 * 1024);
    std::printf("download of %.0f MiB from the fake CivitAI on loopback (best of 2)\n", mebibytes);
    std::printf("curl -L -o                                 %8.1f MiB/s  (%.2f s)\n", mebibytes / bestCurl, bestCurl);
    std::printf("FileTransfer (SHA-256, fsync, rename)      %8.1f MiB/s  (%.2f s)  ratio to curl %.2f\n",
                mebibytes / bestOurs, bestOurs, bestCurl / bestOurs);
    std::printf("  of which to the last byte, hashed        %8.1f MiB/s  (%.2f s)  ratio to curl %.2f\n",
                mebibytes / bestOursLastByte, bestOursLastByte, bestCurl / bestOursLastByte);
    std::printf("FileTransfer, %d parallel ranges            %8.1f MiB/s  (%.2f s)  ratio to curl %.2f\n",
                settings.parallelConnections, mebibytes / bestParallel, bestParallel, bestCurl / bestParallel);
    std::printf("curl -L -o, then sync of the file          %8.1f MiB/s  (%.2f s)  FileTransfer's ratio to it %.2f\n",
                mebibytes / bestCurlSynced, bestCurlSynced, bestCurlSynced / bestOurs);
    std::printf("\n");
    comfygate::bench::GoalTable goals;
    goals.add(comfygate::bench::GoalTable::ratioRow("1 GiB download, SHA-256 verified, fsync + rename",
                                                    "curl -o, then sync", mebibytes / bestOurs,
                                                    mebibytes / bestCurlSynced, "MiB/s", 1.0));
    goals.publish();
    return 0;
}
