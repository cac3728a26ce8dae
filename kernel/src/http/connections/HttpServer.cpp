#include "HttpServer.h"

#include "comfygate/AtomicFile.h"
#include "HttpAcceptor.h"
#include "HttpConnection.h"
#include "HttpConnectionTable.h"
#include "HttpWorkerPool.h"
#include "IdleConnectionWatcher.h"
#include "LateHeadWatch.h"
#include "comfygate/Metrics.h"

#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <sys/resource.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace comfygate {

HttpServer::HttpServer(Settings settings, HttpPipeline& pipeline) : _settings(std::move(settings)), _pipeline(pipeline)
{
}

HttpServer::~HttpServer()
{
    try {
        stop(0);
    } catch (...) {
    }
}

void HttpServer::exportMetrics(Metrics& metrics)
{
    // The gauges hold the counts themselves, so a scrape racing a stop reads valid memory.
    metrics.gauge("http_connections_open", "client connections open (serving, waiting for a worker, or idle)",
                  [stats = _stats] { return static_cast<double>(stats->open.load()); });
    metrics.gauge("http_connections_idle", "keep-alive connections parked without a thread until their next request",
                  [stats = _stats] { return static_cast<double>(stats->idle.load()); });
    metrics.gauge("http_connections_queued", "connections with a request to read, waiting for a worker thread",
                  [stats = _stats] { return static_cast<double>(stats->queued.load()); });
    _countRefusal = metrics.counter("http_connections_refused_total",
                                    "connections refused at accept because http.max_connections were open");
}

void HttpServer::start()
{
    const Poco::Net::SocketAddress address(_settings.host, static_cast<Poco::UInt16>(_settings.port));
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (tls()) {
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, _settings.tlsKey, _settings.tlsCert, "",
                                   Poco::Net::Context::VERIFY_NONE);
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
        socket->listen(_settings.queue);
    } catch (const Poco::Net::NetException& e) {
        const bool busy = e.code() == EADDRINUSE || e.message().find("already in use") != std::string::npos ||
                          e.displayText().find("already in use") != std::string::npos;
        throw std::runtime_error("cannot listen on " + address.toString() + ": " +
                                 (busy
                                      ? std::string("address already in use (another server runs there? set http.port)")
                                      : e.displayText() + " (check http.host, http.port and the TLS files)"));
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("cannot listen on " + address.toString() + ": " + e.displayText() +
                                 " (check http.host, http.port and the TLS files)");
    }
    _port = socket->address().port();
    raiseDescriptorLimit();

    auto params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(_settings.keepAliveSeconds > 0);
    params->setKeepAliveTimeout(Poco::Timespan(_settings.keepAliveSeconds, 0));
    params->setTimeout(Poco::Timespan(_settings.receiveTimeoutSeconds, 0));
    params->setMaxKeepAliveRequests(1000);
    params->setServerName("comfygate");
    params->setSoftwareVersion("comfygate");
    HttpConnectionTable::Limits limits;
    limits.maxConnections = _settings.maxConnections;
    limits.drain = _settings.drain;
    limits.headerTimeout = std::chrono::seconds(_settings.headerTimeoutSeconds);
    limits.bodyTimeout = std::chrono::seconds(_settings.bodyTimeoutSeconds);
    limits.bodyMinBytesPerSecond = static_cast<std::size_t>(_settings.bodyMinBytesPerSecond);
    _workers = std::make_unique<HttpWorkerPool>(_settings.threads, *_stats,
                                                [this](std::shared_ptr<HttpConnection> c) { serveTurn(std::move(c)); });
    _table = std::make_unique<HttpConnectionTable>(_pipeline, Poco::Net::HTTPServerParams::Ptr(params), limits, _stats,
                                                   _workers->starvedSignal());
    _watcher = std::make_unique<IdleConnectionWatcher>(
        *_stats, [this](std::shared_ptr<HttpConnection> c) { _workers->submit(std::move(c)); });
    _acceptor = std::make_unique<HttpAcceptor>(
        *socket, *_table, [this](std::shared_ptr<HttpConnection> c) { accepted(std::move(c)); },
        [this] {
            ++_stats->refused;
            if (_countRefusal)
                _countRefusal(1);
        });
    _lateHeads = std::make_unique<LateHeadWatch>(*_table);
    _watcher->start();
    _lateHeads->start();
    _acceptor->start();
    Poco::Logger::get("http").information("listening on %s:%u%s", _settings.host, _port,
                                          std::string(tls() ? " (TLS)" : ""));
    writePortFile();
}

void HttpServer::raiseDescriptorLimit() const
{
    // Every open connection is a descriptor; a soft limit of 1024 (a common default) would make
    // accept fail long before http.max_connections.
    const rlim_t wanted = static_cast<rlim_t>(_settings.maxConnections) + 256;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted)
        return;
    const rlim_t before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
    if (limit.rlim_cur > before)
        setrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < wanted)
        Poco::Logger::get("http").warning("open file limit %?d is below http.max_connections + 256; raise it "
                                          "(ulimit -n, LimitNOFILE=)",
                                          static_cast<long long>(limit.rlim_cur));
}

void HttpServer::accepted(std::shared_ptr<HttpConnection> connection)
{
    // A client that sent its request with the connect goes straight to a worker; one that has
    // not sent anything yet waits without a thread.
    bool readable = false;
    try {
        readable = connection->socket().poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ);
    } catch (const Poco::Exception&) {
    }
    if (readable)
        _workers->submit(std::move(connection));
    else
        _watcher->park(std::move(connection));
}

void HttpServer::serveTurn(std::shared_ptr<HttpConnection> connection)
{
    switch (connection->serve()) {
    case HttpConnection::Next::WaitIdle:
        _watcher->park(std::move(connection));
        break;
    case HttpConnection::Next::Close:
        connection->close();
        break;
    case HttpConnection::Next::HandedOver:
        break;
    }
}

void HttpServer::writePortFile() const
{
    if (!_settings.portFile.empty())
        AtomicFile::write(_settings.portFile, std::to_string(_port) + "\n", 0644);
}

void HttpServer::stop(int drainSeconds)
{
    if (!_acceptor)
        return;
    _pipeline.setDraining(true); // answers say Connection: close from now on
    _acceptor->stop();
    _watcher->stop(); // idle connections have nothing in flight: closed at once
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(drainSeconds);
    const auto busy = [this] { return _table->inService() + _workers->queued(); };
    while (busy() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (const std::size_t left = busy(); left > 0)
        Poco::Logger::get("http").warning("drain time over: closing %z connection(s)", left);
    _table->abortAll();
    _workers->stop();
    _lateHeads.reset();
    _acceptor.reset();
    _watcher.reset();
    _workers.reset();
    _table.reset();
}

} // namespace comfygate
