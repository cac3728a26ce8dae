#pragma once

#include "FramedRequest.h"
#include "HttpConnectionStats.h"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <set>

namespace comfygate {

class HttpConnection;
class HttpPipeline;

/// What all client connections of one server share: the pipeline, Poco's session parameters,
/// the drain limits and the counts. It opens connections within http.max_connections and
/// knows which ones a worker is serving right now, so a stopping server can end them.
class HttpConnectionTable
{
public:
    struct Limits
    {
        long long maxConnections = 10000;
        FramedRequest::DrainLimits drain;
        /// How long a worker no queued connection needs waits on its connection for the next
        /// request before parking it (a busy keep-alive client sends it within microseconds;
        /// parking and waking it again costs more than waiting).
        std::chrono::milliseconds nextRequestWait{50};
        /// The whole request head must arrive within this (http.header_timeout_seconds), however
        /// often a byte comes: a per-read timeout alone would let a slow client keep a worker.
        std::chrono::milliseconds headerTimeout{20000};
        /// A body may take bodyTimeout plus one second per bodyMinBytesPerSecond received.
        std::chrono::milliseconds bodyTimeout{20000};
        std::size_t bodyMinBytesPerSecond = 500;
    };

    /// `starvedSignal`: HttpWorkerPool::starvedSignal().
    HttpConnectionTable(HttpPipeline& pipeline, Poco::Net::HTTPServerParams::Ptr params, Limits limits,
                        std::shared_ptr<HttpConnectionStats> stats, int starvedSignal);

    /// A connection for an accepted socket; null when http.max_connections are open already.
    std::shared_ptr<HttpConnection> open(const Poco::Net::StreamSocket& socket);

    HttpPipeline& pipeline() { return _pipeline; }
    Poco::Net::HTTPServerParams::Ptr params() const { return _params; }
    const FramedRequest::DrainLimits& drainLimits() const { return _limits.drain; }
    std::chrono::milliseconds nextRequestWait() const { return _limits.nextRequestWait; }
    const Limits& limits() const { return _limits; }
    HttpConnectionStats& stats() { return *_stats; }
    int starvedSignal() const { return _starvedSignal; }

    /// Registered by a connection while a worker serves it.
    void enter(HttpConnection& connection);
    void leave(HttpConnection& connection);
    /// Connections a worker is serving right now.
    std::size_t inService() const;
    /// Aborts every connection in service; connections entering afterwards end at once.
    void abortAll();
    /// Cuts off every connection whose request head is overdue (HttpConnection::cutOffLateHead).
    void cutOffLateHeads(std::chrono::steady_clock::time_point now);

private:
    HttpPipeline& _pipeline;
    Poco::Net::HTTPServerParams::Ptr _params;
    Limits _limits;
    std::shared_ptr<HttpConnectionStats> _stats;
    int _starvedSignal;
    mutable std::mutex _mutex;
    std::set<HttpConnection*> _serving;
    bool _aborted = false;
};

} // namespace comfygate
