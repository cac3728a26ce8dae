#pragma once

#include "FramedRequest.h"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <mutex>
#include <set>

namespace comfygate {

class HttpConnection;
class HttpPipeline;

/// Makes an HttpConnection for every accepted socket and keeps track of the live ones,
/// so a stopping server can end them.
class HttpConnectionFactory : public Poco::Net::TCPServerConnectionFactory
{
public:
    HttpConnectionFactory(HttpPipeline& pipeline, Poco::Net::HTTPServerParams::Ptr params,
                          FramedRequest::DrainLimits drainLimits);

    Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override;

    HttpPipeline& pipeline() { return _pipeline; }
    Poco::Net::HTTPServerParams::Ptr params() const { return _params; }
    const FramedRequest::DrainLimits& drainLimits() const { return _drainLimits; }

    /// Registered by a connection while it runs.
    void enter(HttpConnection& connection);
    void leave(HttpConnection& connection);
    /// Aborts every live connection; connections that start afterwards end at once.
    void abortAll();
    bool stopped() const;

private:
    HttpPipeline& _pipeline;
    Poco::Net::HTTPServerParams::Ptr _params;
    FramedRequest::DrainLimits _drainLimits;
    mutable std::mutex _mutex;
    std::set<HttpConnection*> _live;
    bool _stopped = false;
};

} // namespace comfygate
