#include "TestHttpServer.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

namespace comfygate::test {

namespace {

class DispatchingHandler : public Poco::Net::HTTPRequestHandler
{
public:
    explicit DispatchingHandler(TestHttpServer& server) : _server(server) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override
    {
        _server.handle(request, response);
    }

private:
    TestHttpServer& _server;
};

class DispatchingFactory : public Poco::Net::HTTPRequestHandlerFactory
{
public:
    explicit DispatchingFactory(TestHttpServer& server) : _server(server) {}

    Poco::Net::HTTPRequestHandler*
    createRequestHandler(const Poco::Net::HTTPServerRequest&) override
    {
        return new DispatchingHandler(_server);
    }

private:
    TestHttpServer& _server;
};

} // namespace

std::optional<std::string> TestHttpRequest::header(const std::string& name) const
{
    for (const auto& [key, value] : headers) {
        if (Poco::icompare(key, name) == 0)
            return value;
    }
    return std::nullopt;
}

TestHttpServer::TestHttpServer(unsigned short port) : _threads(2, 32)
{
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", port), 64);
    _port = socket.address().port();
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(32);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(2, 0));
    _server = std::make_unique<Poco::Net::HTTPServer>(new DispatchingFactory(*this), _threads,
                                                      socket, params);
    _server->start();
}

TestHttpServer::~TestHttpServer()
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _stopped = true;
    }
    _stopping.notify_all();
    _server->stopAll(true);
    _threads.joinAll();
    _server.reset();
}

void TestHttpServer::on(const std::string& method, const std::string& path, Handler handler)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _handlers[{Poco::toUpper(method), path}] = std::move(handler);
}

unsigned short TestHttpServer::port() const { return _port; }

std::string TestHttpServer::url(const std::string& pathAndQuery) const
{
    return "http://127.0.0.1:" + std::to_string(_port) + pathAndQuery;
}

std::vector<TestHttpRequest> TestHttpServer::requests() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return _requests;
}

std::vector<TestHttpRequest> TestHttpServer::requests(const std::string& path) const
{
    std::lock_guard<std::mutex> lock(_mutex);
    std::vector<TestHttpRequest> matching;
    for (const auto& request : _requests) {
        if (request.path == path)
            matching.push_back(request);
    }
    return matching;
}

void TestHttpServer::clearRequests()
{
    std::lock_guard<std::mutex> lock(_mutex);
    _requests.clear();
}

bool TestHttpServer::sleepUnlessStopping(std::chrono::milliseconds duration)
{
    std::unique_lock<std::mutex> lock(_mutex);
    return !_stopping.wait_for(lock, duration, [this] { return _stopped; });
}

void TestHttpServer::handle(Poco::Net::HTTPServerRequest& request,
                            Poco::Net::HTTPServerResponse& response)
{
    TestHttpRequest recorded;
    recorded.method = request.getMethod();
    recorded.uri = request.getURI();
    const auto question = recorded.uri.find('?');
    recorded.path = recorded.uri.substr(0, question);
    if (question != std::string::npos)
        recorded.query = recorded.uri.substr(question + 1);
    for (const auto& [name, value] : request)
        recorded.headers.emplace_back(name, value);
    Poco::StreamCopier::copyToString(request.stream(), recorded.body);

    Handler handler;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _requests.push_back(recorded);
        auto found = _handlers.find({Poco::toUpper(recorded.method), recorded.path});
        if (found == _handlers.end())
            found = _handlers.find({"*", recorded.path});
        if (found != _handlers.end())
            handler = found->second;
    }
    if (!handler) {
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
        response.setContentLength(0);
        response.send();
        return;
    }
    handler(recorded, response);
}

} // namespace comfygate::test
