#pragma once

#include <Poco/BufferedStreamBuf.h>

#include <cstdint>
#include <string>

namespace comfygate {

class HttpSession;

/// Decodes a chunked request body strictly (RFC 9112 section 7.1): hexadecimal sizes,
/// extensions skipped, CRLF after every chunk, and the trailer section read to its empty
/// line, so the connection stands at the next request when the body ends (Poco's own
/// decoder stops inside a trailer section). A malformed body throws
/// Poco::Net::MessageException, which the stream reports as bad.
class ChunkedBodyBuffer : public Poco::BufferedStreamBuf
{
public:
    explicit ChunkedBodyBuffer(HttpSession& session);

protected:
    int readFromDevice(char* buffer, std::streamsize length) override;

private:
    /// One line without its CRLF; throws when it is longer than `limit` or lacks the CRLF.
    std::string line(std::size_t limit);
    void expectCrlf();

    HttpSession& _session;
    std::uint64_t _left = 0; ///< bytes left in the current chunk
    bool _inChunk = false;
    bool _done = false;
};

} // namespace comfygate
