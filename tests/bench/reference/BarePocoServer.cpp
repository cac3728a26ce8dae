// bench_reference_poco: the floor for comfygate's request handling in bench_hotpath. A bare Poco
// HTTPServer with comfygate's default server settings (etc/comfygate.properties: http.threads 32,
// http.queue 256, keep-alive 10 s, 1000 requests per connection, listen backlog 128) on
// 127.0.0.1, port 0; prints its port as the first line of stdout and serves until SIGTERM/SIGINT:
//   GET /mss-login/api/me   the JSON comfygate's auth module answers an ordinary `user`-role
//                           account calling with an API token (captured once from a real server)
//   GET /extensions         a small JSON array: the upstream ("ComfyUI") of the proxy rows
//   anything else           404
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>

#include <csignal>
#include <cstdio>
#include <string>

namespace {

const std::string meBody =
    R"({"authenticated":true,"experimental_features":{"mfa":false,"model_isolation":false,"s3":false},)"
    R"("groups":["user"],"is_admin":false,"is_owner":false,"mfa_enabled":false,)"
    R"("permissions":["can_access_api","can_have_api_tokens","can_manage_extensions","can_modify_workflows","can_run","can_upload"],)"
    R"("role":"user","sfw_check":true,"token_kind":"api_token","user_id":"043929f771399262","username":"alice"})";

const std::string extensionsBody =
    R"(["/extensions/core/clipspace.js","/extensions/core/colorPalette.js","/extensions/core/groupNode.js",)"
    R"("/extensions/core/maskeditor.js","/extensions/core/widgetInputs.js"])";

class FixedHandler : public Poco::Net::HTTPRequestHandler
{
public:
    FixedHandler(int status, const std::string& body) : _status(status), _body(body) {}
    void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override
    {
        response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(_status));
        response.setContentType("application/json");
        response.set("Cache-Control", "no-store");
        response.setContentLength(static_cast<std::streamsize>(_body.size()));
        response.send() << _body;
    }

private:
    int _status;
    const std::string& _body;
};

class Routes : public Poco::Net::HTTPRequestHandlerFactory
{
public:
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override
    {
        static const std::string notFound = R"({"error":"not found"})";
        if (request.getMethod() == "GET" && request.getURI() == "/mss-login/api/me")
            return new FixedHandler(200, meBody);
        if (request.getMethod() == "GET" && request.getURI() == "/extensions")
            return new FixedHandler(200, extensionsBody);
        return new FixedHandler(404, notFound);
    }
};

} // namespace

int main()
{
    // Block the stop signals before any thread starts, then wait for one of them.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);

    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
    socket.listen(128);

    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(32);
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(10, 0));
    params->setTimeout(Poco::Timespan(60, 0));
    params->setMaxKeepAliveRequests(1000);
    params->setServerName("bench_reference_poco");
    Poco::ThreadPool threads(2, 32);
    Poco::Net::HTTPServer server(new Routes, threads, socket, params);
    server.start();
    std::printf("%u\n", static_cast<unsigned>(socket.address().port()));
    std::fflush(stdout);

    int signal = 0;
    sigwait(&stop, &signal);
    server.stopAll(true);
    return 0;
}
