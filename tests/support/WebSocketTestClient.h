#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/WebSocket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace comfygate::test {

/// One received WebSocket frame.
struct WebSocketFrame
{
    int opcode = 0; ///< Poco::Net::WebSocket::FRAME_OP_*
    std::string payload;

    bool isText() const;
    bool isBinary() const;
    bool isClose() const;
    /// A text frame parsed as JSON (throws when it is not an object).
    Poco::JSON::Object::Ptr json() const;
    /// `type` of a JSON text frame ("" for other frames).
    std::string type() const;
    /// The big-endian event type that starts a binary frame (0 when shorter).
    std::uint32_t binaryType() const;
    /// The status code of a close frame (0 when it carries none).
    int closeCode() const;
};

/// A Poco WebSocket client for tests: connects to 127.0.0.1:port with extra headers and reads
/// frames with timeouts.
class WebSocketTestClient
{
public:
    /// Throws Poco::Net::WebSocketException when the server does not upgrade.
    WebSocketTestClient(unsigned port, const std::string& uri, const std::map<std::string, std::string>& headers = {});

    /// The next frame, or nothing after `timeout` (or when the connection ended).
    std::optional<WebSocketFrame> next(std::chrono::milliseconds timeout);
    /// Frames until one satisfies `done` (included); fails the test after `timeout`.
    std::vector<WebSocketFrame> until(const std::function<bool(const WebSocketFrame&)>& done,
                                      std::chrono::milliseconds timeout);
    /// Every frame until none arrives for `quiet`.
    std::vector<WebSocketFrame> drain(std::chrono::milliseconds quiet);
    void sendText(const std::string& text);
    void close();

    Poco::Net::WebSocket& socket() { return *_socket; }

private:
    std::unique_ptr<Poco::Net::HTTPClientSession> _session;
    std::unique_ptr<Poco::Net::WebSocket> _socket;
    bool _ended = false;
};

} // namespace comfygate::test
