#pragma once

#include <Poco/Net/TCPServerConnection.h>

#include <atomic>
#include <string>

namespace Poco::Net {
class HTTPServerSession;
class MessageException;
} // namespace Poco::Net

namespace comfygate {

class HttpConnectionFactory;
class HttpSession;

/// One client connection: reads requests one after another and hands each to the pipeline.
/// It replaces Poco's HTTPServerConnection to keep request framing exact on keep-alive
/// connections: a connection is kept only when the previous request's body is gone
/// (see FramedResponse), request-head limits are answered 414 / 431, and a connection
/// closed with input still arriving is shut down for writing and drained briefly, so the
/// client reads the final answer instead of a reset.
class HttpConnection : public Poco::Net::TCPServerConnection
{
public:
    HttpConnection(const Poco::Net::StreamSocket& socket, HttpConnectionFactory& factory);

    void run() override;
    /// Ends the connection now, from another thread (server stop).
    void abort();

    /// The status for a request head Poco could not read.
    static int statusForUnreadableHead(const Poco::Net::MessageException& error);

private:
    /// True when the connection may carry another request.
    bool serveOne(HttpSession& session);
    void refuseUnreadable(Poco::Net::HTTPServerSession& session, int status, const std::string& message);
    void closeGracefully();

    HttpConnectionFactory& _factory;
    std::atomic<bool> _stopped{false};
    bool _inputLeft = false;
};

} // namespace comfygate
