#include "SanitizerReports.h"
#include "ChildProcess.h"

#include <cstdlib>
#include <mutex>

namespace comfygate::test {

namespace {

std::mutex reportsMutex;
std::vector<std::string> collectedReports;

} // namespace

std::vector<std::string> SanitizerReports::childEnvironment(const std::string& prefix)
{
    std::vector<std::string> entries;
    for (const char* name : {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"}) {
        const char* options = std::getenv(name);
        if (options == nullptr)
            continue;
        // The last occurrence of a flag wins, so the child logs to the file whatever the options say.
        std::string value = options;
        if (!value.empty())
            value += ':';
        entries.push_back(std::string(name) + "=" + value + "log_path=" + prefix);
    }
    return entries;
}

std::string SanitizerReports::collect(const std::string& prefix, pid_t pid)
{
    const std::string text = fileText(prefix + "." + std::to_string(pid));
    if (!text.empty()) {
        std::lock_guard<std::mutex> lock(reportsMutex);
        collectedReports.push_back("sanitizer report of comfygate (pid " + std::to_string(pid) + "):\n" + text);
    }
    return text;
}

std::vector<std::string> SanitizerReports::takeCollected()
{
    std::lock_guard<std::mutex> lock(reportsMutex);
    std::vector<std::string> taken;
    taken.swap(collectedReports);
    return taken;
}

} // namespace comfygate::test
