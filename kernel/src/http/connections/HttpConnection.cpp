#include "HttpConnection.h"

#include "ErrorResponse.h"
#include "FramedRequest.h"
#include "FramedResponse.h"
#include "HttpConnectionTable.h"
#include "HttpPipeline.h"
#include "HttpSession.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketImpl.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <memory>
#include <poll.h>

namespace comfygate {
namespace {

/// The Date header's value (RFC 9110's IMF-fixdate), formatted once a second per worker
/// thread: Poco's setDate() formats it anew for every response.
const std::string& httpDateNow()
{
    thread_local std::time_t second = -1;
    thread_local std::string text;
    const Poco::Timestamp now;
    if (now.epochTime() != second) {
        second = now.epochTime();
        text = Poco::DateTimeFormatter::format(now, Poco::DateTimeFormat::HTTP_FORMAT);
    }
    return text;
}

} // namespace

HttpConnection::HttpConnection(const Poco::Net::StreamSocket& socket, HttpConnectionTable& table)
    : _socket(socket), _table(table), _tls(socket.secure())
{
    ++_table.stats().open;
}

HttpConnection::~HttpConnection()
{
    --_table.stats().open;
}

HttpConnection::Next HttpConnection::serve()
{
    _table.enter(*this);
    Next next = Next::Close;
    try {
        if (!_session) {
            _session = std::make_unique<HttpSession>(_socket, _table.params());
            _socket.setReceiveTimeout(_table.params()->getTimeout());
        }
        do {
            next = _stopped ? Next::Close : serveOne();
        } while (next == Next::WaitIdle && !_stopped && nextRequestAtHand());
        if (_stopped)
            next = Next::Close;
        if (next == Next::Close && _inputLeft && !_stopped)
            closeGracefully();
    } catch (const Poco::Exception& e) {
        Poco::Logger::get("http").debug("connection ended: %s", e.displayText());
        next = Next::Close;
    } catch (const std::exception& e) {
        Poco::Logger::get("http").error("connection ended: %s", std::string(e.what()));
        next = Next::Close;
    }
    _table.leave(*this);
    return next;
}

void HttpConnection::close()
{
    try {
        _socket.close();
    } catch (const Poco::Exception&) {
    }
}

void HttpConnection::abort()
{
    _stopped = true;
    try {
        _socket.shutdown();
    } catch (const Poco::Exception&) {
    }
}

Poco::Timespan HttpConnection::idleTimeout() const
{
    return _requests == 0 ? _table.params()->getTimeout() : _table.params()->getKeepAliveTimeout();
}

int HttpConnection::statusForUnreadableHead(const Poco::Net::MessageException& error)
{
    // Poco reports every unreadable head as a MessageException; only its text tells which limit it hit.
    const std::string& text = error.message();
    if (text.find("URI") != std::string::npos)
        return 414;
    if (text.find("header fields") != std::string::npos || text.find("Field name") != std::string::npos ||
        text.find("Field value") != std::string::npos)
        return 431;
    return 400;
}

HttpConnection::Next HttpConnection::serveOne()
{
    HttpSession& session = *_session;
    Poco::Net::HTTPServerParams::Ptr params = _table.params();
    FramedResponse response(session, _table.drainLimits());
    std::unique_ptr<FramedRequest> request;
    try {
        request = readHead(response);
        if (!request)
            return Next::Close;
    } catch (const Poco::Net::NoMessageException&) {
        return Next::Close;
    } catch (const Poco::Net::MessageException& e) {
        const int status = statusForUnreadableHead(e);
        refuseUnreadable(status, status == 414 ? "the request target is too long (at most 16384 bytes)"
                                 : status == 431
                                     ? "too many or too large request header fields (at most 100 fields, names of 256 "
                                       "and values of 8192 bytes)"
                                     : "the request head cannot be read: " + e.message());
        return Next::Close;
    } catch (const Poco::SyntaxException&) {
        refuseUnreadable(400, "Content-Length must be a decimal number");
        return Next::Close;
    }
    // Poco's session counts requests only in hasMoreRequests(), which also waits on the
    // socket; the connection counts them itself and never waits there.
    ++_requests;
    const int maxRequests = params->getMaxKeepAliveRequests();
    const bool mayKeepAlive = params->getKeepAlive() && (maxRequests <= 0 || _requests < maxRequests);
    response.attach(*request);
    response.set("Date", httpDateNow());
    response.setVersion(request->getVersion());
    response.setKeepAlive(mayKeepAlive && request->getKeepAlive());
    if (!params->getSoftwareVersion().empty())
        response.set("Server", params->getSoftwareVersion());

    // The body (if any) is read by the handler; it must keep up with the minimum rate.
    const bool paced = !request->bodyConsumed();
    if (paced)
        session.beginBody(_table.limits().bodyTimeout, _table.limits().bodyMinBytesPerSecond);
    _table.pipeline().handle(*request, response);
    if (paced)
        session.endBody();

    if (response.getStatus() == Poco::Net::HTTPResponse::HTTP_SWITCHING_PROTOCOLS)
        return Next::HandedOver;
    if (!response.getKeepAlive()) {
        _inputLeft = !request->bodyConsumed();
        return Next::Close;
    }
    // A handler may have answered first and left the body; it must be gone before the next request.
    if (!request->discardBody(_table.drainLimits())) {
        _inputLeft = true;
        return Next::Close;
    }
    session.setKeepAlive(mayKeepAlive);
    return mayKeepAlive ? Next::WaitIdle : Next::Close;
}

std::unique_ptr<FramedRequest> HttpConnection::readHead(FramedResponse& response)
{
    const auto timeout = _table.limits().headerTimeout;
    _headDeadline = (std::chrono::steady_clock::now() + timeout).time_since_epoch().count();
    try {
        auto request = std::make_unique<FramedRequest>(response, *_session, _table.params().get());
        _headDeadline = 0;
        // Poco takes the end of the stream for the end of the head: a head cut off in the
        // middle of a field would otherwise pass for a whole one.
        if (!_headCutOff)
            return request;
    } catch (const Poco::Exception&) {
        _headDeadline = 0;
        if (!_headCutOff)
            throw;
    }
    refuseUnreadable(408, "the request head did not arrive within " +
                              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                              " s (http.header_timeout_seconds); send the whole head at once");
    return nullptr;
}

void HttpConnection::cutOffLateHead(std::chrono::steady_clock::time_point now)
{
    const auto deadline = _headDeadline.load();
    if (deadline == 0 || now.time_since_epoch().count() < deadline || _headCutOff.exchange(true))
        return;
    // The worker blocked in recv() sees the end of the stream and answers 408 (readHead).
    try {
        _socket.shutdownReceive();
    } catch (const Poco::Exception&) {
    }
}

bool HttpConnection::nextRequestAtHand()
{
    // Bytes in Poco's buffer (or decrypted in OpenSSL's) are invisible to epoll: a connection
    // holding them must never be parked.
    if (_session->buffered() > 0 || (_tls && _socket.available() > 0))
        return true;
    // Waiting here costs nothing while no queued connection lacks a worker, and a busy client's
    // next request usually comes within a few milliseconds; parking it would add two thread
    // hand-offs per request. The pool's signal ends the wait as soon as a worker is needed.
    // (Waiting only while the queue is empty would not do: a connection is queued for a moment
    // each time a parked one wakes, and every worker done just then would park its own in turn.)
    // (::poll, not Socket::poll: Poco 1.11 makes an epoll instance per call, four system calls.)
    const bool starved = _table.stats().starved.load(std::memory_order_relaxed) > 0;
    pollfd watched[2] = {{_socket.impl()->sockfd(), POLLIN, 0}, {_table.starvedSignal(), POLLIN, 0}};
    int ready;
    do {
        ready = ::poll(watched, starved ? 1 : 2, starved ? 0 : static_cast<int>(_table.nextRequestWait().count()));
    } while (ready < 0 && errno == EINTR);
    // Readable includes the peer's close: the next serveOne() sees it and ends the connection.
    return ready > 0 && (watched[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

void HttpConnection::refuseUnreadable(int status, const std::string& message)
{
    FramedResponse response(*_session, _table.drainLimits());
    response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
    response.setDate(Poco::Timestamp());
    response.setKeepAlive(false);
    ErrorResponse::send(response, ErrorStyle::Plain, status, message);
    _session->setKeepAlive(false);
    _inputLeft = true;
    _table.pipeline().recordUnreadable(_socket.peerAddress().host().toString(), status);
}

void HttpConnection::closeGracefully()
{
    // Closing a socket with unread input sends a reset, which can destroy the answer before the
    // client reads it; half-close and drop what still arrives for a moment instead.
    try {
        _socket.shutdownSend();
        const auto deadline = std::chrono::steady_clock::now() +
                              std::chrono::microseconds(_table.drainLimits().deadline.totalMicroseconds());
        char buffer[8192];
        while (!_stopped) {
            const auto left =
                std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                break;
            _socket.setReceiveTimeout(Poco::Timespan(left.count()));
            if (_socket.receiveBytes(buffer, sizeof buffer) <= 0)
                break;
        }
    } catch (const Poco::Exception&) {
    }
}

} // namespace comfygate
