#include "RawHttpConnection.h"

#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <algorithm>
#include <stdexcept>

namespace comfygate::test {

namespace {

bool isTokenChar(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) || std::string("!#$%&'*+-.^_`|~").find(c) != std::string::npos;
}

bool isDigits(const std::string& text)
{
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string trimmed(const std::string& text)
{
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

} // namespace

std::string RawHttpResponse::header(const std::string& name) const
{
    for (const auto& [key, value] : headers)
        if (Poco::icompare(key, name) == 0)
            return value;
    return {};
}

int RawHttpResponse::count(const std::string& name) const
{
    return static_cast<int>(std::count_if(headers.begin(), headers.end(),
                                          [&](const auto& field) { return Poco::icompare(field.first, name) == 0; }));
}

bool RawHttpResponse::closes() const
{
    for (const auto& [key, value] : headers) {
        if (Poco::icompare(key, "Connection") != 0)
            continue;
        for (const auto& token : Poco::StringTokenizer(value, ",", Poco::StringTokenizer::TOK_TRIM))
            if (Poco::icompare(token, "close") == 0)
                return true;
    }
    return false;
}

RawHttpConnection::RawHttpConnection(unsigned port, const std::string& host, std::chrono::milliseconds timeout)
{
    _socket.connect(Poco::Net::SocketAddress(host, static_cast<Poco::UInt16>(port)));
    _socket.setReceiveTimeout(Poco::Timespan(timeout.count() * 1000));
    _socket.setNoDelay(true);
}

void RawHttpConnection::write(const std::string& bytes)
{
    std::size_t sent = 0;
    while (sent < bytes.size())
        sent += static_cast<std::size_t>(
            _socket.sendBytes(bytes.data() + sent, static_cast<int>(std::min<std::size_t>(bytes.size() - sent, 1 << 16))));
}

bool RawHttpConnection::fill()
{
    char chunk[16384];
    const int received = _socket.receiveBytes(chunk, sizeof chunk);
    if (received <= 0)
        return false;
    _buffer.append(chunk, static_cast<std::size_t>(received));
    return true;
}

void RawHttpConnection::need(std::size_t count)
{
    while (_buffer.size() - _position < count)
        if (!fill())
            fail("the connection ended inside a response");
}

void RawHttpConnection::fail(const std::string& what) const
{
    const std::size_t from = _position > 80 ? _position - 80 : 0;
    throw std::runtime_error("strict HTTP/1.1 reader: " + what + " at byte " + std::to_string(_position) +
                             " (context: \"" + _buffer.substr(from, 160) + "\")");
}

std::string RawHttpConnection::line(const char* what)
{
    std::size_t end;
    while ((end = _buffer.find('\n', _position)) == std::string::npos)
        if (!fill())
            fail(std::string("the connection ended inside the ") + what);
    if (end == _position || _buffer[end - 1] != '\r')
        fail(std::string("a bare LF ends the ") + what);
    std::string text = _buffer.substr(_position, end - 1 - _position);
    if (text.find('\r') != std::string::npos)
        fail(std::string("a stray CR in the ") + what);
    _position = end + 1;
    return text;
}

std::string RawHttpConnection::take(std::size_t count)
{
    need(count);
    std::string bytes = _buffer.substr(_position, count);
    _position += count;
    return bytes;
}

RawHttpResponse RawHttpConnection::read(const std::string& method)
{
    RawHttpResponse response;
    const std::string status = line("status line");
    if (status.size() < 13 || status.compare(0, 9, "HTTP/1.1 ") != 0 || !isDigits(status.substr(9, 3)) ||
        status[12] != ' ')
        fail("the status line is not \"HTTP/1.1 NNN reason\": \"" + status + "\"");
    response.status = std::stoi(status.substr(9, 3));
    response.reason = status.substr(13);
    for (std::string field = line("header section"); !field.empty(); field = line("header section")) {
        if (field[0] == ' ' || field[0] == '\t')
            fail("an obsolete folded header line");
        const auto colon = field.find(':');
        if (colon == std::string::npos || colon == 0 ||
            !std::all_of(field.begin(), field.begin() + static_cast<long>(colon), isTokenChar))
            fail("a header field without a token name and colon: \"" + field + "\"");
        response.headers.emplace_back(field.substr(0, colon), trimmed(field.substr(colon + 1)));
    }

    const bool noBodyStatus = response.status < 200 || response.status == 204 || response.status == 304;
    const int lengths = response.count("Content-Length");
    const int encodings = response.count("Transfer-Encoding");
    if (encodings > 0 && (noBodyStatus || method == "HEAD"))
        fail("Transfer-Encoding on a response that has no body");
    if (lengths > 0 && (response.status < 200 || response.status == 204))
        fail("Content-Length on a 1xx or 204 response");
    if (lengths > 1)
        fail("more than one Content-Length");
    if (lengths == 1 && !isDigits(response.header("Content-Length")))
        fail("Content-Length is not a decimal number");
    if (encodings > 1 || (encodings == 1 && Poco::icompare(response.header("Transfer-Encoding"), "chunked") != 0))
        fail("Transfer-Encoding other than a single chunked");
    if (encodings == 1 && lengths == 1)
        fail("Transfer-Encoding together with Content-Length");

    if (noBodyStatus || method == "HEAD")
        return response;
    if (encodings == 1)
        response.body = readChunked();
    else if (lengths == 1)
        response.body = take(std::stoull(response.header("Content-Length")));
    else if (response.closes())
        response.body = readUntilClose();
    else
        fail("a response body without Content-Length or chunked on a connection that stays open");
    return response;
}

std::string RawHttpConnection::readChunked()
{
    std::string body;
    while (true) {
        std::string size = line("chunk size");
        const auto extension = size.find(';');
        if (extension != std::string::npos)
            size.resize(extension);
        if (size.empty() || size.size() > 15 || !std::all_of(size.begin(), size.end(), [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c));
            }))
            fail("a chunk size that is not hexadecimal: \"" + size + "\"");
        const std::size_t length = std::stoull(size, nullptr, 16);
        if (length == 0)
            break;
        body += take(length);
        if (take(2) != "\r\n")
            fail("a chunk not followed by CRLF");
    }
    while (!line("trailer section").empty()) {
    }
    return body;
}

std::string RawHttpConnection::readUntilClose()
{
    while (fill()) {
    }
    std::string body = _buffer.substr(_position);
    _position = _buffer.size();
    return body;
}

bool RawHttpConnection::closedByServer(std::chrono::milliseconds wait)
{
    if (_position < _buffer.size())
        fail("bytes after the last response");
    _socket.setReceiveTimeout(Poco::Timespan(wait.count() * 1000));
    try {
        if (fill())
            fail("bytes after the last response");
        return true;
    } catch (const Poco::TimeoutException&) {
        return false;
    } catch (const Poco::Net::ConnectionResetException&) {
        return true;
    }
}

void RawHttpConnection::expectSilence(std::chrono::milliseconds wait)
{
    if (_position < _buffer.size())
        fail("bytes after the last response");
    const Poco::Timespan previous = _socket.getReceiveTimeout();
    _socket.setReceiveTimeout(Poco::Timespan(wait.count() * 1000));
    try {
        if (fill())
            fail("bytes after the last response");
    } catch (const Poco::TimeoutException&) {
    }
    _socket.setReceiveTimeout(previous);
}

} // namespace comfygate::test
