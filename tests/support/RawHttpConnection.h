#pragma once

#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace comfygate::test {

/// One response exactly as it came off the wire.
struct RawHttpResponse
{
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    /// The first value of a header ("" when absent); names compare case-insensitively.
    std::string header(const std::string& name) const;
    /// How often a header occurs.
    int count(const std::string& name) const;
    /// True when the Connection header holds the `close` token.
    bool closes() const;
};

/// A raw TCP connection to a server under test: writes the bytes it is given and reads
/// responses framed strictly by RFC 9112, never by Poco's HTTP client. read() throws
/// std::runtime_error naming the first byte that does not fit: a status line without
/// "HTTP/1.1 NNN reason" and CRLF, a malformed or folded header field, Content-Length that is
/// not one decimal number, Transfer-Encoding other than chunked or next to Content-Length,
/// any body framing on 1xx / 204 / 304 or a HEAD answer, a bad chunk, or a body without
/// framing on a connection that stays open.
class RawHttpConnection
{
public:
    explicit RawHttpConnection(unsigned port, const std::string& host = "127.0.0.1",
                               std::chrono::milliseconds timeout = std::chrono::seconds(10));

    void write(const std::string& bytes);
    /// The next response; `method` is that of the request it answers (a HEAD answer has no body).
    /// 1xx responses are returned like any other.
    RawHttpResponse read(const std::string& method = "GET");
    /// True when the server closed the connection within `wait` and sent nothing more;
    /// throws when bytes arrive instead.
    bool closedByServer(std::chrono::milliseconds wait = std::chrono::seconds(3));
    /// Throws when any byte arrives within `wait` (a response nobody asked for).
    void expectSilence(std::chrono::milliseconds wait = std::chrono::milliseconds(200));

private:
    /// Makes sure `count` bytes are buffered; throws on end of stream.
    void need(std::size_t count);
    /// Reads more bytes; false at end of stream.
    bool fill();
    std::string line(const char* what);
    std::string take(std::size_t count);
    std::string readChunked();
    std::string readUntilClose();
    [[noreturn]] void fail(const std::string& what) const;

    Poco::Net::StreamSocket _socket;
    std::string _buffer;
    std::size_t _position = 0;
};

} // namespace comfygate::test
