// `scripts/dev soak [minutes]` (issue 15): the real gateway with the real modules in front of the
// fake ComfyUI and the fake Hugging Face, driven by a mixed client load (SoakOperations) at half
// of the capacity measured first, for a long time. Passes (exit 0) only with zero errors and
// with RSS and open descriptors grown less than the allowed percentage between the end of the
// warm-up and the end of the run. CTest's SoakShort runs it for seconds so that it cannot rot.
#include "LoadPhase.h"
#include "ProcessFootprint.h"
#include "SoakEnvironment.h"
#include "SoakRecorder.h"

#include <Poco/NumberParser.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <signal.h>
#include <string>
#include <sys/resource.h>

using namespace comfygate::soak;
using namespace std::chrono;

namespace {

struct Options
{
    double runSeconds = 600;
    double capacitySeconds = 15;
    double warmupSeconds = -1; ///< -1: a tenth of the run, at most 60 s
    int workers = 16;
    double maxGrowthPercent = 5;
};

void usage()
{
    std::cerr << "usage: comfygate-soak [--minutes M | --seconds S] [--capacity-seconds S] [--warmup-seconds S]\n"
                 "                      [--workers N] [--max-growth-percent P]\n";
}

Options parse(int argc, char** argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc)
            throw std::invalid_argument(flag + " needs a value");
        const double value = Poco::NumberParser::parseFloat(argv[++i]);
        if (value < 0)
            throw std::invalid_argument(flag + " must not be negative");
        if (flag == "--minutes")
            options.runSeconds = value * 60;
        else if (flag == "--seconds")
            options.runSeconds = value;
        else if (flag == "--capacity-seconds")
            options.capacitySeconds = value;
        else if (flag == "--warmup-seconds")
            options.warmupSeconds = value;
        else if (flag == "--workers")
            options.workers = std::max(1, static_cast<int>(value));
        else if (flag == "--max-growth-percent")
            options.maxGrowthPercent = value;
        else
            throw std::invalid_argument("unknown option " + flag);
    }
    if (options.warmupSeconds < 0)
        options.warmupSeconds = std::min(60.0, options.runSeconds / 10);
    return options;
}

milliseconds ms(double seconds)
{
    return milliseconds(static_cast<long long>(seconds * 1000));
}

void raiseFileLimit()
{
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
}

void printTable(const char* title, const SoakRecorder& recorder)
{
    std::printf("%s\n  %-16s %10s %8s %10s %10s %10s\n", title, "operation", "count", "errors", "p50 ms", "p99 ms",
                "max ms");
    for (const auto& name : recorder.operations()) {
        const auto s = recorder.summary(name);
        std::printf("  %-16s %10lld %8lld %10.1f %10.1f %10.1f\n", name.c_str(), s.operations, s.errors, s.p50Ms,
                    s.p99Ms, s.maxMs);
    }
    const auto all = recorder.summary();
    std::printf("  %-16s %10lld %8lld %10.1f %10.1f %10.1f\n", "all", all.operations, all.errors, all.p50Ms, all.p99Ms,
                all.maxMs);
}

} // namespace

int main(int argc, char** argv)
{
    Options options;
    try {
        options = parse(argc, argv);
    } catch (const std::exception& error) {
        std::cerr << "comfygate-soak: " << error.what() << "\n";
        usage();
        return 2;
    }
    raiseFileLimit();
    std::setvbuf(stdout, nullptr, _IOLBF, 0); // progress lines show while it runs
    try {
        SoakEnvironment environment(8, 256);
        const pid_t pid = environment.server().pid();
        SoakOperations operations(environment.operationSettings());
        LoadPhase load(operations, options.workers);

        SoakRecorder capacityRecorder;
        const double capacity = load.closedLoop(ms(options.capacitySeconds), capacityRecorder);
        const double rate = capacity / 2;
        std::printf("capacity of the mix (closed loop, %d workers, %.0f s): %.1f operations/s; soak at %.1f/s for "
                    "%.0f s after a %.0f s warm-up\n",
                    options.workers, options.capacitySeconds, capacity, rate, options.runSeconds,
                    options.warmupSeconds);
        std::fflush(stdout);

        SoakRecorder recorder;
        load.paced(rate, ms(options.warmupSeconds), recorder);
        const ProcessFootprint start = ProcessFootprint::settled(pid);
        const auto began = steady_clock::now();
        load.paced(rate, ms(options.runSeconds), recorder);
        const double ran = duration<double>(steady_clock::now() - began).count();
        operations.verifyDownloads(recorder, 120);
        const bool alive = ::kill(pid, 0) == 0;
        const ProcessFootprint end = ProcessFootprint::settled(pid);

        printTable("capacity phase (closed loop)", capacityRecorder);
        printTable("soak (warm-up and run, latency from each operation's scheduled start)", recorder);
        const double rssGrowth = ProcessFootprint::growthPercent(start.rssKiB, end.rssKiB);
        const double fdGrowth = ProcessFootprint::growthPercent(start.openFds, end.openFds);
        std::printf("gateway after warm-up: %s\n", start.describe().c_str());
        std::printf("gateway at the end:    %s (after %.0f s)\n", end.describe().c_str(), ran);
        std::printf("growth: RSS %+.1f %%, open fds %+.1f %% (allowed < %.1f %%); %zu downloads queued\n", rssGrowth,
                    fdGrowth, options.maxGrowthPercent, operations.downloadsQueued());
        const auto failures = capacityRecorder.firstFailures();
        auto soakFailures = recorder.firstFailures();
        soakFailures.insert(soakFailures.begin(), failures.begin(), failures.end());
        for (const auto& failure : soakFailures)
            std::printf("  error: %s\n", failure.c_str());

        const long long errors = capacityRecorder.summary().errors + recorder.summary().errors;
        bool passed = true;
        const auto verdict = [&passed](bool ok, const std::string& what) {
            std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
            passed = passed && ok;
        };
        verdict(alive, "the gateway is still running");
        verdict(errors == 0, std::to_string(errors) + " errors");
        verdict(rssGrowth < options.maxGrowthPercent, "RSS growth below the limit");
        verdict(fdGrowth < options.maxGrowthPercent, "open descriptor growth below the limit");
        return passed ? 0 : 1;
    } catch (const std::exception& error) {
        std::cerr << "comfygate-soak: could not run: " << error.what() << "\n";
        return 1;
    }
}
