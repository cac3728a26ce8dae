#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace comfygate::soak {

/// What a load phase saw, per operation: latencies of the successes and the failures with
/// their first few messages. Thread-safe.
class SoakRecorder
{
public:
    void success(const std::string& operation, double latencyMs);
    void failure(const std::string& operation, const std::string& message);

    struct Summary
    {
        long long operations = 0;
        long long errors = 0;
        double p50Ms = 0;
        double p99Ms = 0;
        double maxMs = 0;
    };
    /// Every operation together ("" ) or one of them.
    Summary summary(const std::string& operation = {}) const;
    std::vector<std::string> operations() const;
    /// At most this many failure messages are kept (the count goes on).
    std::vector<std::string> firstFailures() const;

private:
    static Summary summarize(std::vector<double> latencies, long long errors);

    mutable std::mutex _mutex;
    std::map<std::string, std::vector<double>> _latencies;
    std::map<std::string, long long> _errors;
    std::vector<std::string> _firstFailures;
};

} // namespace comfygate::soak
