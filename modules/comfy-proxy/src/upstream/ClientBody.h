#pragma once

#include <cstddef>
#include <ostream>
#include <string>

namespace Poco::Net {
class StreamSocket;
}

namespace comfygate {
class HttpExchange;
}

namespace comfygate::comfyproxy {

/// Writes a response body to the client in large blocks. Poco's response stream sends through
/// a 4 KiB buffer, one syscall per 4 KiB (a 100 KB /history answer took 25, a 500 MB /view
/// 120,000); large blocks go straight to the client's socket instead, after the head and
/// whatever was written before them. The socket object keeps TLS in the path when the kernel
/// speaks it; without a blocking socket from the kernel every block goes through the stream.
class ClientBody
{
public:
    /// `stream` is what the exchange's response.send() returned, for an answer of known length.
    ClientBody(HttpExchange& exchange, std::ostream& stream);

    /// False when the client went away.
    bool write(const char* data, std::size_t length);

    /// The whole answer: `status`, `contentType`, `Cache-Control: no-store` unless set, and
    /// `body`, in one write (none of the body for HEAD); like HttpExchange::sendText.
    static void send(HttpExchange& exchange, int status, const std::string& contentType, const std::string& body);

    /// Blocks smaller than this go through the stream's buffer.
    static constexpr std::size_t directFrom = 16 * 1024;

private:
    std::ostream& _stream;
    Poco::Net::StreamSocket* _socket;
};

} // namespace comfygate::comfyproxy
