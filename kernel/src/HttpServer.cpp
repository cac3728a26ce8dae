#include "HttpServer.h"

#include "AtomicFile.h"

#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Thread.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace comfygate {

HttpServer::HttpServer(Settings settings, HttpPipeline& pipeline)
    : _settings(std::move(settings)), _pipeline(pipeline),
      _threads("http", 2, std::max(2, _settings.threads))
{
}

HttpServer::~HttpServer()
{
    try {
        stop(0);
    } catch (...) {
    }
}

void HttpServer::start()
{
    const Poco::Net::SocketAddress address(_settings.host, static_cast<Poco::UInt16>(_settings.port));
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (tls()) {
        Poco::Net::Context::Ptr context = new Poco::Net::Context(
            Poco::Net::Context::TLS_SERVER_USE, _settings.tlsKey, _settings.tlsCert, "", Poco::Net::Context::VERIFY_NONE);
        context->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                                  Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
        socket = std::make_unique<Poco::Net::SecureServerSocket>(context);
    } else {
        socket = std::make_unique<Poco::Net::ServerSocket>();
    }
    try {
        // Poco's convenience constructors set SO_REUSEPORT whenever they set SO_REUSEADDR, which
        // lets a second process share the port silently; that takes http.reuse_port.
        socket->bind(address, true, _settings.reusePort);
        socket->listen(128);
    } catch (const Poco::Net::NetException& e) {
        const bool busy = e.code() == EADDRINUSE || e.message().find("already in use") != std::string::npos ||
                          e.displayText().find("already in use") != std::string::npos;
        throw std::runtime_error("cannot listen on " + address.toString() + ": " +
                                 (busy ? std::string("address already in use (another server runs there? set http.port)")
                                       : e.displayText() + " (check http.host, http.port and the TLS files)"));
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("cannot listen on " + address.toString() + ": " + e.displayText() +
                                 " (check http.host, http.port and the TLS files)");
    }
    _port = socket->address().port();

    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(_settings.threads);
    params->setMaxQueued(_settings.queue);
    params->setKeepAlive(_settings.keepAliveSeconds > 0);
    params->setKeepAliveTimeout(Poco::Timespan(_settings.keepAliveSeconds, 0));
    params->setTimeout(Poco::Timespan(_settings.receiveTimeoutSeconds, 0));
    params->setMaxKeepAliveRequests(1000);
    params->setServerName("comfygate");
    params->setSoftwareVersion("comfygate");
    Poco::Net::HTTPServerParams::Ptr sharedParams(params);
    _connections = new HttpConnectionFactory(_pipeline, sharedParams, _settings.drain);
    _server = std::make_unique<Poco::Net::TCPServer>(_connections, _threads, *socket, sharedParams);
    _server->start();
    Poco::Logger::get("http").information("listening on %s:%u%s", _settings.host, _port,
                                          std::string(tls() ? " (TLS)" : ""));
    writePortFile();
}

void HttpServer::writePortFile() const
{
    if (!_settings.portFile.empty())
        AtomicFile::write(_settings.portFile, std::to_string(_port) + "\n", 0644);
}

void HttpServer::stop(int drainSeconds)
{
    if (!_server)
        return;
    _pipeline.setDraining(true);
    _server->stop(); // no new connections
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(drainSeconds);
    while (_server->currentConnections() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (_server->currentConnections() > 0)
        Poco::Logger::get("http").warning("drain time over: closing %d connection(s)", _server->currentConnections());
    _connections->abortAll();
    _server.reset();
    _threads.joinAll();
}

} // namespace comfygate
