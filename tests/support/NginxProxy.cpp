#include "NginxProxy.h"

#include <Poco/File.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace comfygate::test {

namespace {

const std::string nginxBinary = "/usr/sbin/nginx";

unsigned freeLoopbackPort()
{
    Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
    const unsigned port = probe.address().port();
    probe.close();
    return port;
}

bool accepts(unsigned port)
{
    try {
        Poco::Net::StreamSocket socket;
        socket.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), Poco::Timespan(0, 200000));
        return true;
    } catch (const Poco::Exception&) {
        return false;
    }
}

} // namespace

NginxProxy::NginxProxy(unsigned upstreamPort, NginxSizing sizing) : NginxProxy(std::vector<unsigned>{upstreamPort}, sizing)
{
}

NginxProxy::NginxProxy(const std::vector<unsigned>& upstreamPorts, NginxSizing sizing)
{
    if (!Poco::File(nginxBinary).exists())
        throw std::runtime_error(nginxBinary + " is missing: install nginx-light (scripts/dev deps installs it)");
    _port = freeLoopbackPort();
    const std::string dir = _dir.path();
    const std::string connections = std::to_string(sizing.workerConnections);
    std::string servers;
    for (const unsigned upstreamPort : upstreamPorts)
        servers += "    server 127.0.0.1:" + std::to_string(upstreamPort) + ";\n";
    _dir.write("nginx.conf", "worker_rlimit_nofile " + std::to_string(2 * sizing.workerConnections + 64) + ";\n"
                             "events { worker_connections " + connections + "; }\n"
                             "http {\n"
                             "  access_log off;\n"
                             "  keepalive_requests 100000;\n"
                             "  client_body_temp_path " + dir + "/body;\n"
                             "  proxy_temp_path " + dir + "/proxy;\n"
                             "  fastcgi_temp_path " + dir + "/fastcgi;\n"
                             "  uwsgi_temp_path " + dir + "/uwsgi;\n"
                             "  scgi_temp_path " + dir + "/scgi;\n"
                             "  upstream gateway {\n"
                             + servers +
                             "    keepalive " + std::to_string(sizing.keepalive) + ";\n"
                             "    keepalive_requests 100000;\n"
                             "  }\n"
                             "  server {\n"
                             "    listen 127.0.0.1:" + std::to_string(_port) + ";\n"
                             "    location / {\n"
                             "      proxy_pass http://gateway;\n"
                             "      proxy_http_version 1.1;\n"
                             "      proxy_set_header Connection \"\";\n"
                             "      proxy_set_header X-Forwarded-For $http_x_test_client;\n"
                             "    }\n"
                             "  }\n"
                             "}\n");
    Poco::Process::Args args{"-p", dir, "-c", dir + "/nginx.conf", "-g",
                             "daemon off; master_process off; worker_processes 1; pid " + dir +
                                 "/nginx.pid; error_log " + dir + "/error.log;"};
    _process = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch(nginxBinary, args));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!accepts(_port)) {
        if (!Poco::Process::isRunning(*_process) || std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("nginx did not start: " + errorLog());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

NginxProxy::~NginxProxy()
{
    if (_process && Poco::Process::isRunning(*_process)) {
        Poco::Process::kill(*_process);
        _process->wait();
    }
}

std::string NginxProxy::errorLog() const
{
    std::ifstream in(_dir.file("error.log"));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace comfygate::test
