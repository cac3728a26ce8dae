#pragma once

#include "comfygate/Metrics.h"

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

namespace comfygate {

/// The kernel's metrics: requests by route, method and status, a latency histogram per
/// route, open WebSockets, and the gauges and counters modules add. Rendered in the
/// Prometheus text exposition format.
class MetricsRegistry : public Metrics
{
public:
    static constexpr std::array<double, 12> latencyBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                            0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

    void gauge(const std::string& name, const std::string& help, std::function<double()> read) override;
    std::function<void(double)> counter(const std::string& name, const std::string& help) override;

    /// `route` is the matched pattern (never the raw path, so labels stay bounded).
    void observeRequest(const std::string& route, const std::string& method, int status, double seconds);
    void webSocketOpened() override { ++_openWebSockets; }
    void webSocketClosed() override { --_openWebSockets; }
    long long openWebSockets() const { return _openWebSockets; }

    std::string render() const;

    /// Checks a metric name ([a-z_][a-z0-9_]*); throws std::invalid_argument.
    static void checkName(const std::string& name);
    static std::string escapeLabel(const std::string& value);

private:
    struct Histogram
    {
        std::array<unsigned long long, latencyBuckets.size()> counts{};
        unsigned long long total = 0;
        double sum = 0;
    };
    struct Gauge
    {
        std::string help;
        std::function<double()> read;
    };
    struct Counter
    {
        std::string help;
        std::shared_ptr<std::atomic<double>> value;
    };

    mutable std::mutex _mutex;
    std::map<std::tuple<std::string, std::string, int>, unsigned long long> _requests;
    std::map<std::string, Histogram> _latency;
    std::map<std::string, Gauge> _gauges;
    std::map<std::string, Counter> _counters;
    std::atomic<long long> _openWebSockets{0};
};

} // namespace comfygate
