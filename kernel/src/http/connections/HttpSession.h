#pragma once

#include <Poco/Net/HTTPServerSession.h>

namespace comfygate {

/// Poco's server session with its byte-level reads open to the kernel's request body
/// decoders (ChunkedBodyBuffer), which must stop exactly where the next request starts, and
/// its buffer level open to HttpConnection, which parks a connection only when nothing of
/// the next request is buffered here (epoll cannot see these bytes).
class HttpSession : public Poco::Net::HTTPServerSession
{
public:
    using Poco::Net::HTTPServerSession::HTTPServerSession;
    using Poco::Net::HTTPSession::get;
    using Poco::Net::HTTPSession::peek;
    using Poco::Net::HTTPSession::read;
    using Poco::Net::HTTPSession::buffered;
};

} // namespace comfygate
