#include "HttpAcceptor.h"

#include "HttpConnection.h"
#include "HttpConnectionTable.h"

#include <Poco/Logger.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketImpl.h>

#include <pthread.h>
#include <sys/socket.h>

namespace comfygate {
namespace {

const std::string refusal = [] {
    const std::string body =
        "{\"error\":\"the server has too many open connections (http.max_connections); try again later\"}";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body;
}();

} // namespace

HttpAcceptor::HttpAcceptor(Poco::Net::ServerSocket socket, HttpConnectionTable& table, Handler onAccepted,
                           std::function<void()> onRefused)
    : _socket(std::move(socket)), _table(table), _onAccepted(std::move(onAccepted)), _onRefused(std::move(onRefused))
{
}

HttpAcceptor::~HttpAcceptor()
{
    stop();
}

void HttpAcceptor::start()
{
    _thread = std::thread([this] { run(); });
    pthread_setname_np(_thread.native_handle(), "http-accept");
}

void HttpAcceptor::stop()
{
    _stopping = true;
    if (_thread.joinable())
        _thread.join();
    try {
        _socket.close();
    } catch (const Poco::Exception&) {
    }
}

void HttpAcceptor::run()
{
    // Polled in short rounds so stop() is noticed without closing the socket under accept().
    const Poco::Timespan round(0, 200000);
    while (!_stopping) {
        Poco::Net::StreamSocket accepted;
        try {
            if (!_socket.poll(round, Poco::Net::Socket::SELECT_READ))
                continue;
            accepted = _socket.acceptConnection();
        } catch (const Poco::Exception& e) {
            // Out of descriptors (EMFILE) or a connection reset before it was taken: go on
            // after a moment rather than spinning on a socket that stays readable.
            Poco::Logger::get("http").warning("accept failed: %s", e.displayText());
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        try {
            accepted.setNoDelay(true);
            if (auto connection = _table.open(accepted))
                _onAccepted(std::move(connection));
            else
                refuse(accepted);
        } catch (const std::exception& e) {
            Poco::Logger::get("http").error("cannot take a connection: %s", std::string(e.what()));
        }
    }
}

void HttpAcceptor::refuse(Poco::Net::StreamSocket& socket)
{
    _onRefused();
    const auto now = std::chrono::steady_clock::now();
    if (now - _lastWarning > std::chrono::seconds(10)) {
        _lastWarning = now;
        Poco::Logger::get("http").warning(
            "refusing connections: %?d are open (http.max_connections); %?d refused since start",
            static_cast<long long>(_table.stats().open.load()), static_cast<long long>(_table.stats().refused.load()));
    }
    try {
        if (!socket.secure()) {
            // A fresh socket's send buffer is empty: the answer fits without blocking this thread.
            const int fd = socket.impl()->sockfd();
            (void)::send(fd, refusal.data(), refusal.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            ::shutdown(fd, SHUT_WR);
            // Unread input turns close() into a reset that may destroy the answer; drop what is here.
            char buffer[4096];
            while (::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
            }
        }
        socket.close();
    } catch (const Poco::Exception&) {
    }
}

} // namespace comfygate
