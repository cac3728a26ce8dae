#pragma once

#include "FramedRequest.h"

#include <Poco/Net/HTTPServerResponseImpl.h>

namespace comfygate {

/// The response of the kernel's HttpConnection. Right before its headers go out, whatever a
/// handler did, it
///  - gives the status its standard reason phrase,
///  - drops Transfer-Encoding (and, for 1xx and 204, Content-Length) where RFC 9112 allows no body,
///  - settles the request body: discards an unread rest within the drain limits, or else
///    announces `Connection: close`, so a leftover byte is never read as the next request.
class FramedResponse : public Poco::Net::HTTPServerResponseImpl
{
public:
    FramedResponse(Poco::Net::HTTPServerSession& session, FramedRequest::DrainLimits drainLimits);

    /// The request whose body this response settles; none for a refusal of an unreadable request.
    void attach(FramedRequest& request) { _request = &request; }

    void sendContinue() override;
    std::ostream& send() override;
    void sendFile(const std::string& path, const std::string& mediaType) override;
    void sendBuffer(const void* buffer, std::size_t length) override;
    void redirect(const std::string& uri, HTTPStatus status = HTTP_FOUND) override;

    /// The head as HttpHead rendered it when send() began (Poco calls this twice per send()).
    void write(std::ostream& out) const override;

    /// True when the status allows no body (1xx, 204, 304).
    bool bodilessStatus() const;
    /// True when the status or the method allow no body (1xx, 204, 304, HEAD).
    bool bodiless() const;

private:
    void prepareHeaders();
    void settleRequestBody();

    FramedRequest* _request = nullptr;
    FramedRequest::DrainLimits _drainLimits;
    bool _continueSent = false;
    std::string _head; ///< set for the duration of send(): what write() puts out
};

} // namespace comfygate
