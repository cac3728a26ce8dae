// bench_reference_poco: the floor for comfygate's request handling in bench_hotpath. A bare Poco
// HTTPServer with comfygate's default server settings (etc/comfygate.properties: http.threads 32,
// http.queue 256, keep-alive 10 s, 1000 requests per connection, listen backlog 128) on
// 127.0.0.1, port 0; prints its port as the first line of stdout and serves until SIGTERM/SIGINT:
//   GET /mss-login/api/me   the JSON comfygate's auth module answers an ordinary `user`-role
//                           account calling with an API token (captured once from a real server)
//   GET /extensions         a small JSON array: the upstream ("ComfyUI") of the proxy rows
//   anything else           404
// `--threads N` sets the pool (and queue) size otherwise: bench_hotpath runs a second instance as
// the proxies' upstream with room for every kept upstream connection of nginx and comfygate, since
// each idle keep-alive connection holds one Poco worker thread and would starve the next phase.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

const std::string meBody =
    R"({"authenticated":true,"experimental_features":{"mfa":false,"model_isolation":false,"s3":false},)"
    R"("groups":["user"],"is_admin":false,"is_owner":false,"mfa_enabled":false,)"
    R"("permissions":["can_access_api","can_have_api_tokens","can_manage_extensions","can_modify_workflows","can_run","can_upload","edit_user_settings","fundamental","read_user_settings"],)"
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

int main(int argc, char** argv)
{
    int threads = 32;
    int queue = 256;
    if (argc == 3 && std::strcmp(argv[1], "--threads") == 0) {
        threads = std::atoi(argv[2]);
        queue = std::max(queue, threads);
    } else if (argc != 1) {
        std::fprintf(stderr, "usage: %s [--threads N]\n", argv[0]);
        return 2;
    }

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
    params->setMaxThreads(threads);
    params->setMaxQueued(queue);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(10, 0));
    params->setTimeout(Poco::Timespan(60, 0));
    params->setMaxKeepAliveRequests(1000);
    params->setServerName("bench_reference_poco");
    Poco::ThreadPool pool(2, threads);
    Poco::Net::HTTPServer server(new Routes, pool, socket, params);
    server.start();
    std::printf("%u\n", static_cast<unsigned>(socket.address().port()));
    std::fflush(stdout);

    int signal = 0;
    sigwait(&stop, &signal);
    server.stopAll(true);
    return 0;
}
