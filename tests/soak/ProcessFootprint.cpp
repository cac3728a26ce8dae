#include "ProcessFootprint.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace comfygate::soak {

ProcessFootprint ProcessFootprint::of(pid_t pid)
{
    ProcessFootprint footprint;
    const std::string proc = "/proc/" + std::to_string(pid);
    std::ifstream status(proc + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            footprint.rssKiB = std::stol(line.substr(6));
        else if (line.rfind("Threads:", 0) == 0)
            footprint.threads = std::stoi(line.substr(8));
    }
    std::error_code error;
    for (auto it = std::filesystem::directory_iterator(proc + "/fd", error);
         !error && it != std::filesystem::directory_iterator(); it.increment(error))
        ++footprint.openFds;
    return footprint;
}

ProcessFootprint ProcessFootprint::settled(pid_t pid, int maxWaitMs)
{
    ProcessFootprint last = of(pid);
    for (int waited = 0; waited < maxWaitMs; waited += 250) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        const ProcessFootprint now = of(pid);
        const bool same = now.openFds == last.openFds;
        last = now;
        if (same)
            break;
    }
    return last;
}

double ProcessFootprint::growthPercent(double earlier, double later)
{
    return earlier > 0 ? (later - earlier) * 100.0 / earlier : 0;
}

std::string ProcessFootprint::describe() const
{
    return "RSS " + std::to_string(rssKiB / 1024) + "." + std::to_string((rssKiB % 1024) * 10 / 1024) +
           " MiB, " + std::to_string(openFds) + " open fds, " + std::to_string(threads) + " threads";
}

} // namespace comfygate::soak
