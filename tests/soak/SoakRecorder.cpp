#include "SoakRecorder.h"

#include <algorithm>

namespace comfygate::soak {

namespace {
constexpr std::size_t keptFailures = 20;
}

void SoakRecorder::success(const std::string& operation, double latencyMs)
{
    std::lock_guard lock(_mutex);
    _latencies[operation].push_back(latencyMs);
}

void SoakRecorder::failure(const std::string& operation, const std::string& message)
{
    std::lock_guard lock(_mutex);
    ++_errors[operation];
    _latencies[operation]; // listed even when it never succeeded
    if (_firstFailures.size() < keptFailures)
        _firstFailures.push_back(operation + ": " + message.substr(0, 400));
}

SoakRecorder::Summary SoakRecorder::summary(const std::string& operation) const
{
    std::lock_guard lock(_mutex);
    if (!operation.empty()) {
        const auto latencies = _latencies.find(operation);
        const auto errors = _errors.find(operation);
        return summarize(latencies == _latencies.end() ? std::vector<double>{} : latencies->second,
                         errors == _errors.end() ? 0 : errors->second);
    }
    std::vector<double> all;
    long long errors = 0;
    for (const auto& [name, latencies] : _latencies)
        all.insert(all.end(), latencies.begin(), latencies.end());
    for (const auto& [name, count] : _errors)
        errors += count;
    return summarize(std::move(all), errors);
}

std::vector<std::string> SoakRecorder::operations() const
{
    std::lock_guard lock(_mutex);
    std::vector<std::string> names;
    for (const auto& [name, latencies] : _latencies)
        names.push_back(name);
    return names;
}

std::vector<std::string> SoakRecorder::firstFailures() const
{
    std::lock_guard lock(_mutex);
    return _firstFailures;
}

SoakRecorder::Summary SoakRecorder::summarize(std::vector<double> latencies, long long errors)
{
    Summary summary;
    summary.errors = errors;
    summary.operations = static_cast<long long>(latencies.size()) + errors;
    if (latencies.empty())
        return summary;
    std::sort(latencies.begin(), latencies.end());
    const auto at = [&latencies](double q) {
        return latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(q * latencies.size()))];
    };
    summary.p50Ms = at(0.5);
    summary.p99Ms = at(0.99);
    summary.maxMs = latencies.back();
    return summary;
}

} // namespace comfygate::soak
