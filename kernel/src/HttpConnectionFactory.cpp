#include "HttpConnectionFactory.h"

#include "HttpConnection.h"

namespace comfygate {

HttpConnectionFactory::HttpConnectionFactory(HttpPipeline& pipeline, Poco::Net::HTTPServerParams::Ptr params,
                                             FramedRequest::DrainLimits drainLimits)
    : _pipeline(pipeline), _params(std::move(params)), _drainLimits(drainLimits)
{
}

Poco::Net::TCPServerConnection* HttpConnectionFactory::createConnection(const Poco::Net::StreamSocket& socket)
{
    return new HttpConnection(socket, *this);
}

void HttpConnectionFactory::enter(HttpConnection& connection)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _live.insert(&connection);
    if (_stopped)
        connection.abort();
}

void HttpConnectionFactory::leave(HttpConnection& connection)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _live.erase(&connection);
}

void HttpConnectionFactory::abortAll()
{
    std::lock_guard<std::mutex> lock(_mutex);
    _stopped = true;
    for (HttpConnection* connection : _live)
        connection->abort();
}

bool HttpConnectionFactory::stopped() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return _stopped;
}

} // namespace comfygate
