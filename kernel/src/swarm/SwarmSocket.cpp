#include "SwarmSocket.h"

#include <Poco/Buffer.h>
#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>

#include <sstream>

namespace comfygate::swarm {

std::optional<std::string> SwarmSocket::receiveCall(std::size_t limit, Poco::Timespan wait)
{
    _socket.setReceiveTimeout(wait);
    _socket.setMaxPayloadSize(static_cast<int>(limit));
    std::string message;
    for (;;) {
        Poco::Buffer<char> frame(0);
        int flags = 0;
        const int received = _socket.receiveFrame(frame, flags);
        const int opcode = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
        if (received == 0 && flags == 0)
            return std::nullopt; // the peer closed the connection
        if (opcode == Poco::Net::WebSocket::FRAME_OP_CLOSE)
            return std::nullopt;
        if (opcode == Poco::Net::WebSocket::FRAME_OP_PING) {
            _socket.sendFrame(frame.begin(), static_cast<int>(frame.size()),
                              Poco::Net::WebSocket::FRAME_FLAG_FIN | Poco::Net::WebSocket::FRAME_OP_PONG);
            continue;
        }
        if (opcode == Poco::Net::WebSocket::FRAME_OP_PONG)
            continue;
        message.append(frame.begin(), frame.size());
        // Poco limits each frame; a message made of many frames must not outgrow the limit either.
        if (message.size() > limit)
            throw Poco::Net::WebSocketException("the message is larger than " + std::to_string(limit) + " bytes",
                                                Poco::Net::WebSocket::WS_ERR_PAYLOAD_TOO_BIG);
        if (flags & Poco::Net::WebSocket::FRAME_FLAG_FIN)
            return message;
    }
}

bool SwarmSocket::send(const Poco::JSON::Object::Ptr& message)
{
    std::ostringstream text;
    message->stringify(text);
    const std::string payload = text.str();
    try {
        _socket.sendFrame(payload.data(), static_cast<int>(payload.size()), Poco::Net::WebSocket::FRAME_TEXT);
        return true;
    } catch (const Poco::Exception&) {
        return false;
    }
}

void SwarmSocket::fail(const std::string& message, const std::string& errorId)
{
    Poco::JSON::Object::Ptr error = new Poco::JSON::Object;
    error->set("error", message);
    error->set("error_id", errorId);
    send(error);
    close();
}

void SwarmSocket::close()
{
    try {
        _socket.shutdown(Poco::Net::WebSocket::WS_NORMAL_CLOSE);
        // Wait briefly for the client's close frame: closing with its frames unread would
        // send a reset, which can destroy the last messages before the client reads them.
        _socket.setReceiveTimeout(Poco::Timespan(2, 0));
        for (int frames = 0; frames < 16; ++frames) {
            Poco::Buffer<char> frame(0);
            int flags = 0;
            if (_socket.receiveFrame(frame, flags) == 0 && flags == 0)
                break;
            if ((flags & Poco::Net::WebSocket::FRAME_OP_BITMASK) == Poco::Net::WebSocket::FRAME_OP_CLOSE)
                break;
        }
        _socket.shutdownSend();
    } catch (const Poco::Exception&) {
    }
}

} // namespace comfygate::swarm
