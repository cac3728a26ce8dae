#pragma once

#include "FramedRequest.h"
#include "HttpConnectionFactory.h"
#include "HttpPipeline.h"

#include <Poco/Net/TCPServer.h>
#include <Poco/SharedPtr.h>
#include <Poco/ThreadPool.h>

#include <memory>
#include <string>

namespace comfygate {

/// Poco's TCPServer with the kernel's HttpConnection on one listening socket (plain or TLS),
/// with its own thread pool.
/// stop() drains: it stops accepting, lets in-flight requests finish for a bounded time,
/// then aborts what is left.
class HttpServer
{
public:
    struct Settings
    {
        std::string host = "0.0.0.0";
        unsigned port = 8190;
        int threads = 32;
        int queue = 256;
        int keepAliveSeconds = 10;
        int receiveTimeoutSeconds = 60;
        FramedRequest::DrainLimits drain; ///< an unread request body discarded to keep the connection
        std::string tlsCert;
        std::string tlsKey;
        std::string portFile; ///< when set, the bound port is written here atomically
        bool reusePort = false; ///< SO_REUSEPORT: only for deliberate multi-process setups
    };

    HttpServer(Settings settings, HttpPipeline& pipeline);
    ~HttpServer();

    /// Binds and starts serving. Throws std::runtime_error naming the address on failure.
    void start();
    /// Drains for at most `drainSeconds`, then stops.
    void stop(int drainSeconds);

    unsigned port() const { return _port; }
    bool tls() const { return !_settings.tlsCert.empty(); }

private:
    void writePortFile() const;

    Settings _settings;
    HttpPipeline& _pipeline;
    Poco::ThreadPool _threads;
    Poco::SharedPtr<HttpConnectionFactory> _connections;
    std::unique_ptr<Poco::Net::TCPServer> _server;
    unsigned _port = 0;
};

} // namespace comfygate
