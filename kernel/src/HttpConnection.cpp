#include "HttpConnection.h"

#include "ErrorResponse.h"
#include "FramedRequest.h"
#include "FramedResponse.h"
#include "HttpConnectionFactory.h"
#include "HttpPipeline.h"
#include "HttpSession.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timestamp.h>

#include <chrono>
#include <memory>

namespace comfygate {

HttpConnection::HttpConnection(const Poco::Net::StreamSocket& socket, HttpConnectionFactory& factory)
    : Poco::Net::TCPServerConnection(socket), _factory(factory)
{
}

void HttpConnection::run()
{
    _factory.enter(*this);
    try {
        HttpSession session(socket(), _factory.params());
        while (!_stopped && session.hasMoreRequests() && serveOne(session)) {
        }
        if (_inputLeft && !_stopped)
            closeGracefully();
    } catch (const Poco::Exception& e) {
        Poco::Logger::get("http").debug("connection ended: %s", e.displayText());
    } catch (const std::exception& e) {
        Poco::Logger::get("http").error("connection ended: %s", std::string(e.what()));
    }
    _factory.leave(*this);
}

void HttpConnection::abort()
{
    _stopped = true;
    try {
        socket().shutdown();
    } catch (const Poco::Exception&) {
    }
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

bool HttpConnection::serveOne(HttpSession& session)
{
    Poco::Net::HTTPServerParams::Ptr params = _factory.params();
    FramedResponse response(session, _factory.drainLimits());
    std::unique_ptr<FramedRequest> request;
    try {
        request = std::make_unique<FramedRequest>(response, session, params.get());
    } catch (const Poco::Net::NoMessageException&) {
        return false;
    } catch (const Poco::Net::MessageException& e) {
        const int status = statusForUnreadableHead(e);
        refuseUnreadable(session, status,
                         status == 414 ? "the request target is too long (at most 16384 bytes)"
                         : status == 431
                             ? "too many or too large request header fields (at most 100 fields, names of 256 "
                               "and values of 8192 bytes)"
                             : "the request head cannot be read: " + e.message());
        return false;
    } catch (const Poco::SyntaxException&) {
        refuseUnreadable(session, 400, "Content-Length must be a decimal number");
        return false;
    }
    response.attach(*request);
    response.setDate(Poco::Timestamp());
    response.setVersion(request->getVersion());
    response.setKeepAlive(params->getKeepAlive() && request->getKeepAlive() && session.canKeepAlive());
    if (!params->getSoftwareVersion().empty())
        response.set("Server", params->getSoftwareVersion());

    _factory.pipeline().handle(*request, response);

    if (response.getStatus() == Poco::Net::HTTPResponse::HTTP_SWITCHING_PROTOCOLS)
        return false;
    if (!response.getKeepAlive()) {
        _inputLeft = !request->bodyConsumed();
        return false;
    }
    // A handler may have answered first and left the body; it must be gone before the next request.
    if (!request->discardBody(_factory.drainLimits())) {
        _inputLeft = true;
        return false;
    }
    const bool keepAlive = params->getKeepAlive() && session.canKeepAlive();
    session.setKeepAlive(keepAlive);
    return keepAlive;
}

void HttpConnection::refuseUnreadable(Poco::Net::HTTPServerSession& session, int status, const std::string& message)
{
    FramedResponse response(session, _factory.drainLimits());
    response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
    response.setDate(Poco::Timestamp());
    response.setKeepAlive(false);
    ErrorResponse::send(response, ErrorStyle::Plain, status, message);
    session.setKeepAlive(false);
    _inputLeft = true;
    _factory.pipeline().recordUnreadable(socket().peerAddress().host().toString(), status);
}

void HttpConnection::closeGracefully()
{
    // Closing a socket with unread input sends a reset, which can destroy the answer before the
    // client reads it; half-close and drop what still arrives for a moment instead.
    try {
        socket().shutdownSend();
        const auto deadline = std::chrono::steady_clock::now() +
                              std::chrono::microseconds(_factory.drainLimits().deadline.totalMicroseconds());
        char buffer[8192];
        while (!_stopped) {
            const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                break;
            socket().setReceiveTimeout(Poco::Timespan(left.count()));
            if (socket().receiveBytes(buffer, sizeof buffer) <= 0)
                break;
        }
    } catch (const Poco::Exception&) {
    }
}

} // namespace comfygate
