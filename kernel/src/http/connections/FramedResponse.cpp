#include "FramedResponse.h"

#include "comfygate/HttpHead.h"

#include <Poco/Net/HTTPRequest.h>

namespace comfygate {

FramedResponse::FramedResponse(Poco::Net::HTTPServerSession& session, FramedRequest::DrainLimits drainLimits)
    : Poco::Net::HTTPServerResponseImpl(session), _drainLimits(drainLimits)
{
}

void FramedResponse::sendContinue()
{
    if (_continueSent)
        return;
    _continueSent = true;
    Poco::Net::HTTPServerResponseImpl::sendContinue();
}

std::ostream& FramedResponse::send()
{
    prepareHeaders();
    _head = HttpHead::of(*this);
    struct ForgetHead
    {
        std::string& head;
        ~ForgetHead() { head.clear(); }
    } forget{_head};
    return Poco::Net::HTTPServerResponseImpl::send();
}

void FramedResponse::write(std::ostream& out) const
{
    if (_head.empty()) // outside send(): sendFile, sendBuffer, sendContinue
        Poco::Net::HTTPServerResponseImpl::write(out);
    else
        HttpHead::put(out, _head);
}

void FramedResponse::sendFile(const std::string& path, const std::string& mediaType)
{
    prepareHeaders();
    Poco::Net::HTTPServerResponseImpl::sendFile(path, mediaType);
}

void FramedResponse::sendBuffer(const void* buffer, std::size_t length)
{
    prepareHeaders();
    if (bodilessStatus()) {
        // Poco's sendBuffer would write Content-Length and the buffer even for a 204.
        Poco::Net::HTTPServerResponseImpl::send();
        return;
    }
    Poco::Net::HTTPServerResponseImpl::sendBuffer(buffer, length);
}

void FramedResponse::redirect(const std::string& uri, HTTPStatus status)
{
    // Poco's redirect sends at once; doing it by hand lets the headers be prepared first.
    setStatus(status);
    set("Location", uri);
    setContentLength(0);
    send();
}

bool FramedResponse::bodilessStatus() const
{
    const int status = static_cast<int>(getStatus());
    return status < 200 || status == HTTP_NO_CONTENT || status == HTTP_NOT_MODIFIED;
}

bool FramedResponse::bodiless() const
{
    return bodilessStatus() || (_request && _request->getMethod() == Poco::Net::HTTPRequest::HTTP_HEAD);
}

void FramedResponse::prepareHeaders()
{
    settleRequestBody();
    const std::string reason = getReasonForStatus(getStatus());
    setReason(reason == HTTP_REASON_UNKNOWN ? std::string() : reason);
    if (bodiless()) {
        setChunkedTransferEncoding(false);
        const int status = static_cast<int>(getStatus());
        if (status < 200 || status == HTTP_NO_CONTENT)
            setContentLength(UNKNOWN_CONTENT_LENGTH);
    }
}

void FramedResponse::settleRequestBody()
{
    if (!_request || !getKeepAlive() || getStatus() == HTTP_SWITCHING_PROTOCOLS || _request->bodyConsumed())
        return;
    // A client waiting for 100 Continue may never send the body; reading for it would only stall.
    const bool bodyMayNotCome = _request->getExpectContinue() && !_continueSent;
    if (bodyMayNotCome || !_request->discardBody(_drainLimits))
        setKeepAlive(false);
}

} // namespace comfygate
