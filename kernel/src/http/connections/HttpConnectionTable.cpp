#include "HttpConnectionTable.h"

#include "HttpConnection.h"

namespace comfygate {

HttpConnectionTable::HttpConnectionTable(HttpPipeline& pipeline, Poco::Net::HTTPServerParams::Ptr params, Limits limits,
                                         std::shared_ptr<HttpConnectionStats> stats, int starvedSignal)
    : _pipeline(pipeline), _params(std::move(params)), _limits(limits), _stats(std::move(stats)),
      _starvedSignal(starvedSignal)
{
}

std::shared_ptr<HttpConnection> HttpConnectionTable::open(const Poco::Net::StreamSocket& socket)
{
    // Only the acceptor opens connections, so counting up after the check cannot overshoot.
    if (_stats->open.load() >= _limits.maxConnections)
        return nullptr;
    return std::make_shared<HttpConnection>(socket, *this);
}

void HttpConnectionTable::enter(HttpConnection& connection)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _serving.insert(&connection);
    if (_aborted)
        connection.abort();
}

void HttpConnectionTable::leave(HttpConnection& connection)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _serving.erase(&connection);
}

std::size_t HttpConnectionTable::inService() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return _serving.size();
}

void HttpConnectionTable::abortAll()
{
    std::lock_guard<std::mutex> lock(_mutex);
    _aborted = true;
    for (HttpConnection* connection : _serving)
        connection->abort();
}

void HttpConnectionTable::cutOffLateHeads(std::chrono::steady_clock::time_point now)
{
    std::lock_guard<std::mutex> lock(_mutex);
    for (HttpConnection* connection : _serving)
        connection->cutOffLateHead(now);
}

} // namespace comfygate
