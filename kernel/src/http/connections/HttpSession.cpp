#include "HttpSession.h"

#include <Poco/Exception.h>

#include <algorithm>

namespace comfygate {

void HttpSession::beginBody(std::chrono::milliseconds allowance, std::size_t minBytesPerSecond)
{
    _pacing = true;
    _bodyTimedOut = false;
    _bodyDeadline = Clock::now() + allowance;
    _minBytesPerSecond = std::max<std::size_t>(1, minBytesPerSecond);
    _receiveTimeout = socket().getReceiveTimeout();
}

void HttpSession::endBody()
{
    if (_timeoutShortened)
        socket().setReceiveTimeout(_receiveTimeout);
    _timeoutShortened = false;
    _pacing = false;
}

int HttpSession::read(char* buffer, std::streamsize length)
{
    if (!_pacing)
        return HTTPServerSession::read(buffer, length);
    const auto now = Clock::now();
    if (now >= _bodyDeadline) {
        _bodyTimedOut = true;
        throw Poco::TimeoutException("the request body arrives too slowly");
    }
    if (buffered() == 0) {
        // The socket read may wait at most until the deadline (the receive timeout still caps it).
        const auto left = std::chrono::duration_cast<std::chrono::microseconds>(_bodyDeadline - now);
        if (left.count() < _receiveTimeout.totalMicroseconds()) {
            socket().setReceiveTimeout(Poco::Timespan(std::max<Poco::Timespan::TimeDiff>(1000, left.count())));
            _timeoutShortened = true;
        } else if (_timeoutShortened) {
            socket().setReceiveTimeout(_receiveTimeout);
            _timeoutShortened = false;
        }
    }
    int received;
    try {
        received = HTTPServerSession::read(buffer, length);
    } catch (const Poco::TimeoutException&) {
        // A receive timeout shortened to the deadline firing is the deadline passing.
        _bodyTimedOut = _timeoutShortened || Clock::now() >= _bodyDeadline;
        throw;
    }
    if (received > 0)
        _bodyDeadline += std::chrono::microseconds(static_cast<long long>(received) * 1000000 /
                                                   static_cast<long long>(_minBytesPerSecond));
    return received;
}

} // namespace comfygate
