#include "FramedRequest.h"

#include "HttpSession.h"

#include <Poco/Ascii.h>
#include <Poco/String.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace comfygate {

FramedRequest::FramedRequest(Poco::Net::HTTPServerResponseImpl& response, HttpSession& session,
                             Poco::Net::HTTPServerParams* params)
    : Poco::Net::HTTPServerRequestImpl(response, session, params), _session(session)
{
    if (getChunkedTransferEncoding()) {
        _chunks = std::make_unique<ChunkedBodyBuffer>(session);
        _chunkedBody = std::make_unique<std::istream>(_chunks.get());
    }
}

bool FramedRequest::bodyTimedOut() const { return _session.bodyTimedOut(); }

bool FramedRequest::hasFramedBody() const { return hasContentLength() || getChunkedTransferEncoding(); }

std::istream& FramedRequest::stream()
{
    if (_chunkedBody)
        return *_chunkedBody;
    if (!hasFramedBody())
        return _noBody;
    return Poco::Net::HTTPServerRequestImpl::stream();
}

std::optional<FramedRequest::Refusal> FramedRequest::framingProblem(const Poco::Net::HTTPRequest& request)
{
    std::vector<std::string> lengths;
    std::vector<std::string> encodings;
    for (const auto& [name, value] : request) {
        if (Poco::icompare(name, Poco::Net::HTTPMessage::CONTENT_LENGTH) == 0)
            lengths.push_back(value);
        else if (Poco::icompare(name, Poco::Net::HTTPMessage::TRANSFER_ENCODING) == 0)
            encodings.push_back(value);
    }
    const std::size_t lengthCount = lengths.size();
    const std::size_t encodingCount = encodings.size();
    if (lengthCount > 0 && encodingCount > 0)
        return Refusal{400, "a request may not carry both Transfer-Encoding and Content-Length"};
    if (lengthCount > 1)
        return Refusal{400, "a request may carry only one Content-Length"};
    if (lengthCount == 1) {
        const std::string& value = lengths.front();
        if (value.empty() || !std::all_of(value.begin(), value.end(), [](char c) { return Poco::Ascii::isDigit(c); }))
            return Refusal{400, "Content-Length must be a decimal number"};
    }
    if (encodingCount > 1 ||
        (encodingCount == 1 && Poco::icompare(encodings.front(), Poco::Net::HTTPMessage::CHUNKED_TRANSFER_ENCODING) != 0))
        return Refusal{501, "the only Transfer-Encoding accepted is chunked"};
    return std::nullopt;
}

bool FramedRequest::bodyConsumed()
{
    if (!hasFramedBody() || (hasContentLength() && getContentLength64() == 0))
        return true;
    return stream().eof();
}

bool FramedRequest::discardBody(const DrainLimits& limits)
{
    if (bodyConsumed())
        return true;
    // The drain has its own deadline; the body's pace must not stretch the wait.
    _session.endBody();
    std::istream& body = stream();
    Poco::Net::StreamSocket& socket = _session.socket();
    const Poco::Timespan receiveTimeout = socket.getReceiveTimeout();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(limits.deadline.totalMicroseconds());
    std::size_t discarded = 0;
    char buffer[8192];
    bool complete = false;
    try {
        while (body && discarded <= limits.bytes) {
            const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                break;
            socket.setReceiveTimeout(Poco::Timespan(left.count()));
            body.read(buffer, static_cast<std::streamsize>(std::min(sizeof buffer, limits.bytes + 1 - discarded)));
            discarded += static_cast<std::size_t>(body.gcount());
            complete = body.eof() && !body.bad() && discarded <= limits.bytes;
        }
        socket.setReceiveTimeout(receiveTimeout);
    } catch (const Poco::Exception&) {
        return false;
    }
    return complete;
}

} // namespace comfygate
