#pragma once

#include <functional>
#include <string>

namespace comfygate {

/// Module metrics exported at GET /metrics in the Prometheus text format.
class Metrics
{
public:
    virtual ~Metrics() = default;

    /// A gauge read when /metrics is scraped. `name` must match [a-z_][a-z0-9_]*; the kernel
    /// prefixes it with `comfygate_`.
    virtual void gauge(const std::string& name, const std::string& help,
                       std::function<double()> read) = 0;

    /// A counter the module increments with the returned function.
    virtual std::function<void(double)> counter(const std::string& name, const std::string& help) = 0;

    /// WebSocket endpoints report their connections for the `comfygate_websockets_open` gauge.
    virtual void webSocketOpened() = 0;
    virtual void webSocketClosed() = 0;
};

} // namespace comfygate
