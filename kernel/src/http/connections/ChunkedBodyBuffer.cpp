#include "ChunkedBodyBuffer.h"

#include "HttpSession.h"

#include <Poco/Ascii.h>
#include <Poco/Net/NetException.h>

#include <algorithm>

namespace comfygate {

namespace {

constexpr std::size_t maxLine = 4096;
constexpr std::size_t maxTrailerLines = 100;

} // namespace

ChunkedBodyBuffer::ChunkedBodyBuffer(HttpSession& session)
    : Poco::BufferedStreamBuf(8192, std::ios::in), _session(session)
{
}

std::string ChunkedBodyBuffer::line(std::size_t limit)
{
    std::string text;
    for (int c = _session.get(); c != '\r'; c = _session.get()) {
        if (c == std::char_traits<char>::eof() || c == '\n' || text.size() >= limit)
            throw Poco::Net::MessageException("malformed chunked request body");
        text += static_cast<char>(c);
    }
    if (_session.get() != '\n')
        throw Poco::Net::MessageException("malformed chunked request body");
    return text;
}

void ChunkedBodyBuffer::expectCrlf()
{
    if (!line(0).empty())
        throw Poco::Net::MessageException("malformed chunked request body");
}

int ChunkedBodyBuffer::readFromDevice(char* buffer, std::streamsize length)
{
    if (_done)
        return 0;
    if (!_inChunk) {
        std::string size = line(maxLine);
        size.resize(std::min(size.find(';'), size.size()));
        while (!size.empty() && (size.back() == ' ' || size.back() == '\t'))
            size.pop_back();
        if (size.empty() || size.size() > 15 ||
            !std::all_of(size.begin(), size.end(), [](char c) { return Poco::Ascii::isHexDigit(c); }))
            throw Poco::Net::MessageException("malformed chunk size in a chunked request body");
        _left = std::stoull(size, nullptr, 16);
        if (_left == 0) {
            std::size_t trailers = 0;
            while (!line(maxLine).empty())
                if (++trailers > maxTrailerLines)
                    throw Poco::Net::MessageException("too many trailer fields in a chunked request body");
            _done = true;
            return 0;
        }
        _inChunk = true;
    }
    const int received = _session.read(buffer, static_cast<std::streamsize>(std::min<std::uint64_t>(_left, length)));
    if (received <= 0)
        throw Poco::Net::MessageException("the connection ended inside a chunked request body");
    _left -= static_cast<std::uint64_t>(received);
    if (_left == 0) {
        expectCrlf();
        _inChunk = false;
    }
    return received;
}

} // namespace comfygate
