#pragma once

#include "ChunkedBodyBuffer.h"
#include "PacedBody.h"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Timespan.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

namespace comfygate {

/// A request read by the kernel's HttpConnection. Its body is exactly what RFC 9112 says:
/// Content-Length bytes, chunked with its trailer section (ChunkedBodyBuffer), or nothing at
/// all (Poco would read a POST without either until the connection ends, swallowing the next
/// request). It can also discard the rest of
/// its body, so the connection may carry the next request after an early answer.
class FramedRequest : public Poco::Net::HTTPServerRequestImpl, public PacedBody
{
public:
    struct Refusal
    {
        int status;
        std::string message;
    };

    /// How much of an unread body may be discarded to keep a connection, and how long that may take.
    struct DrainLimits
    {
        std::size_t bytes = 64 * 1024;
        Poco::Timespan deadline{1, 0};
    };

    FramedRequest(Poco::Net::HTTPServerResponseImpl& response, HttpSession& session,
                  Poco::Net::HTTPServerParams* params);

    std::istream& stream() override;

    /// Why the request's framing headers cannot be trusted (duplicate or non-numeric
    /// Content-Length, Transfer-Encoding with Content-Length or other than chunked), if they cannot.
    static std::optional<Refusal> framingProblem(const Poco::Net::HTTPRequest& request);

    /// True when nothing of the body is left in the connection.
    bool bodyConsumed();
    /// Reads and drops the rest of the body within `limits`; true when all of it is gone.
    bool discardBody(const DrainLimits& limits);
    /// True when reading the body stopped because it arrived too slowly (HttpSession::beginBody).
    bool bodyTimedOut() const override;

private:
    bool hasFramedBody() const;

    HttpSession& _session;
    std::istringstream _noBody;
    std::unique_ptr<ChunkedBodyBuffer> _chunks;
    std::unique_ptr<std::istream> _chunkedBody;
};

} // namespace comfygate
