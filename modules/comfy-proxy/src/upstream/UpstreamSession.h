#pragma once

#include <Poco/Net/HTTPClientSession.h>

#include <cstddef>

namespace comfygate::comfyproxy {

/// A keep-alive connection to ComfyUI whose answer bodies can be read in large blocks
/// straight from the connection. Poco's body stream reads through a 4 KiB buffer, one recv per
/// 4 KiB: for a 500 MB /view or a 100 KB /history that was most of the gateway's work.
class UpstreamSession : public Poco::Net::HTTPClientSession
{
public:
    using Poco::Net::HTTPClientSession::HTTPClientSession;

    /// Up to `length` bytes of the answer's body, the bytes the session read ahead with the
    /// head first; 0 when the connection ended. Only for bodies of a known length, and only
    /// after the body stream (if it was read at all) has been emptied of what it buffered.
    std::size_t readBody(char* buffer, std::size_t length)
    {
        const int got = read(buffer, static_cast<std::streamsize>(length));
        return got > 0 ? static_cast<std::size_t>(got) : 0;
    }
};

} // namespace comfygate::comfyproxy
