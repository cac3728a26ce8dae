#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace comfygate::test {

/// A request as TestHttpServer received it (the body already read).
struct TestHttpRequest
{
    std::string method;
    std::string uri;   ///< path and query as sent
    std::string path;  ///< without the query
    std::string query; ///< without the '?'
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    /// First header value by (case-insensitive) name.
    std::optional<std::string> header(const std::string& name) const;
};

/// A real HTTP server on 127.0.0.1 and a free port, for tests: handlers are lambdas set per
/// method and path, every request is recorded. Unmatched requests get 404.
///
///     TestHttpServer server;
///     server.on("GET", "/hello", [](const TestHttpRequest& req, Poco::Net::HTTPServerResponse&
///     resp) {
///         resp.send() << "hi";
///     });
///     client.get(server.url("/hello"));
///     server.requests().size() == 1
class TestHttpServer
{
public:
    using Handler = std::function<void(const TestHttpRequest& request,
                                       Poco::Net::HTTPServerResponse& response)>;

    /// Starts listening at once, on `port` (0 = any free one).
    explicit TestHttpServer(unsigned short port = 0);
    /// Stops accepting, aborts open connections and waits for running handlers.
    ~TestHttpServer();
    TestHttpServer(const TestHttpServer&) = delete;
    TestHttpServer& operator=(const TestHttpServer&) = delete;

    /// Sets the handler for `method` ("*" = any) and exact `path`; replaces an earlier one.
    /// May be called while the server runs.
    void on(const std::string& method, const std::string& path, Handler handler);

    unsigned short port() const;
    /// "http://127.0.0.1:<port>" + pathAndQuery
    std::string url(const std::string& pathAndQuery = "/") const;

    /// Every request received so far, in arrival order.
    std::vector<TestHttpRequest> requests() const;
    /// Requests received so far for `path`.
    std::vector<TestHttpRequest> requests(const std::string& path) const;
    void clearRequests();

    /// For handlers that must hang: sleeps up to `duration`, returning early (false) when the
    /// server is being destroyed, so a test never waits for a sleeping handler.
    bool sleepUnlessStopping(std::chrono::milliseconds duration);

    /// Dispatches one request; public for the server's handler factory.
    void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

private:
    mutable std::mutex _mutex;
    std::condition_variable _stopping;
    bool _stopped = false;
    std::map<std::pair<std::string, std::string>, Handler> _handlers;
    std::vector<TestHttpRequest> _requests;
    Poco::ThreadPool _threads;
    std::unique_ptr<Poco::Net::HTTPServer> _server;
    unsigned short _port = 0;
};

} // namespace comfygate::test
