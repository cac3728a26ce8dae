#pragma once

#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace Poco::Net {
class HTTPServerSession;
class MessageException;
} // namespace Poco::Net

namespace comfygate {

class FramedRequest;
class FramedResponse;
class HttpConnectionTable;
class HttpSession;

/// One client connection, served by a worker thread one turn at a time: a turn reads
/// requests one after another and hands each to the pipeline while the next one is at hand,
/// then tells the worker what the connection needs (wait idle for its next request, be
/// closed, or nothing: a WebSocket handler took the socket).
/// It replaces Poco's HTTPServerConnection to keep request framing exact on keep-alive
/// connections: a connection is kept only when the previous request's body is gone
/// (see FramedResponse), request-head limits are answered 414 / 431, and a connection
/// closed with input still arriving is shut down for writing and drained briefly, so the
/// client reads the final answer instead of a reset.
class HttpConnection
{
public:
    enum class Next
    {
        WaitIdle,   ///< keep-alive, no byte of the next request yet: park it (IdleConnectionWatcher)
        Close,      ///< done: close the socket
        HandedOver, ///< 101 Switching Protocols: the socket belongs to the handler now
    };

    HttpConnection(const Poco::Net::StreamSocket& socket, HttpConnectionTable& table);
    ~HttpConnection();
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    /// One turn on a worker thread; call it when a byte is readable (or buffered).
    Next serve();
    /// Closes the socket (the owner of the connection, never while a worker serves it).
    void close();
    /// Ends the connection now, from another thread (server stop).
    void abort();
    /// From another thread (HttpConnectionTable): when the request head being read is overdue
    /// (http.header_timeout_seconds), stops its reading; the worker then answers 408 and closes.
    void cutOffLateHead(std::chrono::steady_clock::time_point now);

    /// How long it may wait idle: the receive timeout before its first request, the
    /// keep-alive timeout between requests.
    Poco::Timespan idleTimeout() const;
    const Poco::Net::StreamSocket& socket() const { return _socket; }

    /// The status for a request head Poco could not read.
    static int statusForUnreadableHead(const Poco::Net::MessageException& error);

private:
    Next serveOne();
    /// True when the next request can be read without waiting idle: already buffered
    /// (pipelined), or arriving within the table's nextRequestWait while no queued
    /// connection lacks a worker.
    bool nextRequestAtHand();
    void refuseUnreadable(int status, const std::string& message);
    void closeGracefully();
    /// Reads the next request head, watched by cutOffLateHead() meanwhile.
    std::unique_ptr<FramedRequest> readHead(FramedResponse& response);

    Poco::Net::StreamSocket _socket;
    HttpConnectionTable& _table;
    std::unique_ptr<HttpSession> _session; ///< kept across turns: it counts the requests served
    std::atomic<bool> _stopped{false};
    /// While a head is read: when it is overdue (steady clock ticks); 0 otherwise.
    std::atomic<std::chrono::steady_clock::rep> _headDeadline{0};
    std::atomic<bool> _headCutOff{false};
    bool _inputLeft = false;
    bool _tls = false;
    int _requests = 0;
};

} // namespace comfygate
