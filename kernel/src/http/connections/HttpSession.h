#pragma once

#include <Poco/Net/HTTPServerSession.h>

#include <chrono>
#include <cstddef>

namespace comfygate {

/// Poco's server session with its byte-level reads open to the kernel's request body
/// decoders (ChunkedBodyBuffer), which must stop exactly where the next request starts, and
/// its buffer level open to HttpConnection, which parks a connection only when nothing of
/// the next request is buffered here (epoll cannot see these bytes).
///
/// It also paces request bodies: a per-read receive timeout alone lets a client that sends a
/// byte now and then hold a worker thread for ever (slowloris), so between beginBody() and
/// endBody() the body's reads must keep up with a minimum rate.
class HttpSession : public Poco::Net::HTTPServerSession
{
public:
    using Clock = std::chrono::steady_clock;
    using Poco::Net::HTTPServerSession::HTTPServerSession;
    using Poco::Net::HTTPSession::get;
    using Poco::Net::HTTPSession::peek;
    using Poco::Net::HTTPSession::buffered;

    /// From now on the body may take `allowance` plus one second per `minBytesPerSecond`
    /// received; a read past that throws Poco::TimeoutException (bodyTimedOut() then says so).
    void beginBody(std::chrono::milliseconds allowance, std::size_t minBytesPerSecond);
    /// Ends the pacing and gives the socket its receive timeout back.
    void endBody();
    bool bodyTimedOut() const { return _bodyTimedOut; }

    int read(char* buffer, std::streamsize length) override;

private:
    bool _pacing = false;
    bool _bodyTimedOut = false;
    bool _timeoutShortened = false;
    Clock::time_point _bodyDeadline;
    std::size_t _minBytesPerSecond = 0;
    Poco::Timespan _receiveTimeout;
};

} // namespace comfygate
