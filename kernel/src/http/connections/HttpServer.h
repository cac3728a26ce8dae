#pragma once

#include "FramedRequest.h"
#include "HttpConnectionStats.h"
#include "HttpPipeline.h"

#include <functional>
#include <memory>
#include <string>

namespace comfygate {

class HttpAcceptor;
class HttpConnection;
class HttpConnectionTable;
class HttpWorkerPool;
class IdleConnectionWatcher;
class LateHeadWatch;
class Metrics;

/// The kernel's HTTP server on one listening socket (plain or TLS). Connections are not
/// bound to threads: an acceptor thread takes every connection (up to http.max_connections),
/// a pool of at most http.threads workers serves the ones with a request to read, and one
/// watcher thread holds the idle keep-alive ones with epoll until their next request
/// arrives (IdleConnectionWatcher), so idle clients cost a descriptor, not a thread.
/// stop() drains: it stops accepting, closes idle connections, lets in-flight requests
/// finish for a bounded time, then aborts what is left.
class HttpServer
{
public:
    struct Settings
    {
        std::string host = "0.0.0.0";
        unsigned port = 8190;
        int threads = 32;
        int queue = 1024;           ///< listen backlog: connections the OS holds until accepted
        int maxConnections = 10000; ///< open connections; beyond it a new one is refused (503)
        int keepAliveSeconds = 10;
        int receiveTimeoutSeconds = 60;
        int headerTimeoutSeconds = 20;   ///< the whole request head (slowloris)
        int bodyTimeoutSeconds = 20;     ///< a body's allowance before its minimum rate counts
        int bodyMinBytesPerSecond = 500; ///< each this many body bytes extend the allowance by 1 s
        FramedRequest::DrainLimits drain; ///< an unread request body discarded to keep the connection
        std::string tlsCert;
        std::string tlsKey;
        std::string portFile;   ///< when set, the bound port is written here atomically
        bool reusePort = false; ///< SO_REUSEPORT: only for deliberate multi-process setups
    };

    HttpServer(Settings settings, HttpPipeline& pipeline);
    ~HttpServer();

    /// Registers the connection gauges and the refusal counter; call it before start().
    void exportMetrics(Metrics& metrics);
    /// Binds and starts serving. Throws std::runtime_error naming the address on failure.
    void start();
    /// Drains for at most `drainSeconds`, then stops.
    void stop(int drainSeconds);

    unsigned port() const { return _port; }
    bool tls() const { return !_settings.tlsCert.empty(); }
    const HttpConnectionStats& connectionStats() const { return *_stats; }

private:
    void writePortFile() const;
    void raiseDescriptorLimit() const;
    void accepted(std::shared_ptr<HttpConnection> connection);
    void serveTurn(std::shared_ptr<HttpConnection> connection);

    Settings _settings;
    HttpPipeline& _pipeline;
    std::shared_ptr<HttpConnectionStats> _stats = std::make_shared<HttpConnectionStats>();
    std::function<void(double)> _countRefusal;
    std::unique_ptr<HttpConnectionTable> _table;
    std::unique_ptr<HttpWorkerPool> _workers;
    std::unique_ptr<IdleConnectionWatcher> _watcher;
    std::unique_ptr<LateHeadWatch> _lateHeads;
    std::unique_ptr<HttpAcceptor> _acceptor;
    unsigned _port = 0;
};

} // namespace comfygate
