#include "WebSocketTestClient.h"

#include <Poco/Buffer.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>

#include <stdexcept>

using Poco::Net::WebSocket;

namespace comfygate::test {

bool WebSocketFrame::isText() const
{
    return opcode == WebSocket::FRAME_OP_TEXT;
}
bool WebSocketFrame::isBinary() const
{
    return opcode == WebSocket::FRAME_OP_BINARY;
}
bool WebSocketFrame::isClose() const
{
    return opcode == WebSocket::FRAME_OP_CLOSE;
}

Poco::JSON::Object::Ptr WebSocketFrame::json() const
{
    Poco::JSON::Parser parser;
    return parser.parse(payload).extract<Poco::JSON::Object::Ptr>();
}

std::string WebSocketFrame::type() const
{
    if (!isText())
        return {};
    try {
        return json()->optValue<std::string>("type", "");
    } catch (const Poco::Exception&) {
        return {};
    }
}

std::uint32_t WebSocketFrame::binaryType() const
{
    if (payload.size() < 4)
        return 0;
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i)
        value = (value << 8) | static_cast<unsigned char>(payload[static_cast<std::size_t>(i)]);
    return value;
}

int WebSocketFrame::closeCode() const
{
    if (!isClose() || payload.size() < 2)
        return 0;
    return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

WebSocketTestClient::WebSocketTestClient(unsigned port, const std::string& uri,
                                         const std::map<std::string, std::string>& headers)
    : _session(std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", static_cast<Poco::UInt16>(port)))
{
    _session->setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers)
        request.set(name, value);
    Poco::Net::HTTPResponse response;
    _socket = std::make_unique<WebSocket>(*_session, request, response);
    _socket->setMaxPayloadSize(64 * 1024 * 1024);
}

std::optional<WebSocketFrame> WebSocketTestClient::next(std::chrono::milliseconds timeout)
{
    if (_ended)
        return std::nullopt;
    _socket->setReceiveTimeout(
        Poco::Timespan(static_cast<long>(timeout.count() / 1000), static_cast<long>(timeout.count() % 1000) * 1000));
    Poco::Buffer<char> buffer(0);
    int flags = 0;
    int received = 0;
    try {
        received = _socket->receiveFrame(buffer, flags);
    } catch (const Poco::TimeoutException&) {
        return std::nullopt;
    } catch (const Poco::Exception&) {
        _ended = true;
        return std::nullopt;
    }
    if (received == 0 && flags == 0) {
        _ended = true;
        return std::nullopt;
    }
    WebSocketFrame frame{flags & WebSocket::FRAME_OP_BITMASK, std::string(buffer.begin(), buffer.size())};
    if (frame.isClose())
        _ended = true;
    return frame;
}

std::vector<WebSocketFrame> WebSocketTestClient::until(const std::function<bool(const WebSocketFrame&)>& done,
                                                       std::chrono::milliseconds timeout)
{
    std::vector<WebSocketFrame> frames;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        auto frame = next(std::max(left, std::chrono::milliseconds(1)));
        if (!frame) {
            if (_ended)
                break;
            continue;
        }
        frames.push_back(*frame);
        if (done(frames.back()))
            return frames;
    }
    std::string seen;
    for (const auto& frame : frames)
        seen +=
            (frame.isText() ? frame.payload.substr(0, 160) : "<binary " + std::to_string(frame.binaryType()) + ">") +
            "\n";
    throw std::runtime_error("the awaited WebSocket frame did not arrive; got " + std::to_string(frames.size()) +
                             " frames:\n" + seen);
}

std::vector<WebSocketFrame> WebSocketTestClient::drain(std::chrono::milliseconds quiet)
{
    std::vector<WebSocketFrame> frames;
    while (auto frame = next(quiet))
        frames.push_back(*frame);
    return frames;
}

void WebSocketTestClient::sendText(const std::string& text)
{
    _socket->sendFrame(text.data(), static_cast<int>(text.size()), WebSocket::FRAME_TEXT);
}

void WebSocketTestClient::close()
{
    try {
        _socket->shutdown();
    } catch (const Poco::Exception&) {
    }
    _ended = true;
}

} // namespace comfygate::test
