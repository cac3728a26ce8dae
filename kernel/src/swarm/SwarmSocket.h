#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/Timespan.h>

#include <cstddef>
#include <optional>
#include <string>

namespace comfygate::swarm {

/// SwarmUI's WebSocket conversation on one upgraded socket: one JSON message in, JSON text
/// messages out, errors as a message followed by a normal close (never an HTTP status).
class SwarmSocket
{
public:
    explicit SwarmSocket(Poco::Net::WebSocket& socket) : _socket(socket) {}

    /// The call's one message (text or binary, fragments joined; pings answered), or nothing
    /// when the client closed first. Throws Poco::TimeoutException when nothing came within
    /// `wait` and Poco::Net::WebSocketException when it is larger than `limit`.
    std::optional<std::string> receiveCall(std::size_t limit, Poco::Timespan wait);

    /// Sends one JSON object as a text message; false when the peer is gone.
    bool send(const Poco::JSON::Object::Ptr& message);
    /// `{"error": message, "error_id": errorId}`, then the close.
    void fail(const std::string& message, const std::string& errorId);
    /// Close frame 1000 (normal closure), then waits up to 2 s for the client's close frame;
    /// the socket closes when the last copy is gone.
    void close();

private:
    Poco::Net::WebSocket& _socket;
};

} // namespace comfygate::swarm
