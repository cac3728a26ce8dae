#pragma once

#include <atomic>

namespace comfygate {

/// Live counts of one HTTP server's client connections, exported as gauges in /metrics.
/// Shared (not owned by a component) so a scrape never reads a stopped server's parts.
struct HttpConnectionStats
{
    std::atomic<long long> open{0};    ///< accepted, not yet closed or handed to a WebSocket handler
    std::atomic<long long> idle{0};    ///< parked in the IdleConnectionWatcher, holding no thread
    std::atomic<long long> queued{0};  ///< readable and waiting for a worker thread
    std::atomic<long long> refused{0}; ///< refused at accept because http.max_connections were open
    /// Queued connections that no idle worker will take and no new worker may start for
    /// (http.threads reached); not exported. While it is 0 a worker may wait on its own
    /// connection for the next request instead of parking it.
    std::atomic<long long> starved{0};
};

} // namespace comfygate
