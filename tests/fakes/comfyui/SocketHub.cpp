#include "SocketHub.h"

#include <Poco/Buffer.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/NetException.h>

#include <algorithm>
#include <sstream>

using Poco::JSON::Object;
using Poco::Net::WebSocket;

namespace comfygate::fakes {

SocketHub::SocketHub(std::function<Object::Ptr()> serverFeatures) : _serverFeatures(std::move(serverFeatures))
{
}

SocketHub::~SocketHub()
{
    stop();
}

void SocketHub::start()
{
    if (_running.exchange(true)) return;
    _reader = std::thread([this] { readLoop(); });
}

void SocketHub::stop()
{
    if (_running.exchange(false) && _reader.joinable()) _reader.join();
    std::vector<ClientPtr> open;
    {
        std::lock_guard lock(_mutex);
        for (const auto& [socket, client] : _open) {
            open.push_back(client);
            _pollSet.remove(socket);
        }
        _open.clear();
        _registry.clear();
        _clientFlags.clear();
    }
    for (const auto& client : open) {
        client->closed = true;
        try {
            client->socket.shutdown();
        } catch (...) {
        }
        try {
            client->socket.close();
        } catch (...) {
        }
    }
}

std::string SocketHub::envelope(const std::string& type, const Object::Ptr& data)
{
    Object message(Poco::JSON_PRESERVE_KEY_ORDER);
    message.set("type", type);
    message.set("data", data);
    std::ostringstream out;
    message.stringify(out);
    return out.str();
}

void SocketHub::attach(WebSocket socket, const std::string& sid, const std::vector<std::string>& firstFrames)
{
    socket.setReceiveTimeout(Poco::Timespan(2, 0));
    socket.setSendTimeout(Poco::Timespan(5, 0));
    auto client = std::make_shared<Client>(std::move(socket), sid);
    // Hold the client's send lock until the first frames are out, so no event overtakes them.
    std::lock_guard sending(client->sendMutex);
    {
        std::lock_guard lock(_mutex);
        _registry[sid] = client;
        _clientFlags.erase(sid);
        _open.emplace(client->socket, client);
        _pollSet.add(client->socket, Poco::Net::PollSet::POLL_READ | Poco::Net::PollSet::POLL_ERROR);
    }
    for (const auto& frame : firstFrames) {
        try {
            client->socket.sendFrame(frame.data(), static_cast<int>(frame.size()), WebSocket::FRAME_TEXT);
        } catch (const Poco::Exception&) {
            client->closed = true;
        }
    }
}

void SocketHub::send(const ClientPtr& client, const std::string& payload, int flags)
{
    if (client->closed) return;
    std::lock_guard lock(client->sendMutex);
    try {
        client->socket.sendFrame(payload.data(), static_cast<int>(payload.size()), flags);
    } catch (const Poco::Exception&) {
        client->closed = true;
    }
}

void SocketHub::sendJson(const std::string& sid, const std::string& type, const Object::Ptr& data)
{
    if (sid.empty()) return;
    ClientPtr client;
    {
        std::lock_guard lock(_mutex);
        auto it = _registry.find(sid);
        if (it == _registry.end()) return;
        client = it->second;
    }
    send(client, envelope(type, data), WebSocket::FRAME_TEXT);
}

void SocketHub::broadcastJson(const std::string& type, const Object::Ptr& data)
{
    const std::string payload = envelope(type, data);
    std::vector<ClientPtr> targets;
    {
        std::lock_guard lock(_mutex);
        for (const auto& [sid, client] : _registry) targets.push_back(client);
    }
    for (const auto& client : targets) send(client, payload, WebSocket::FRAME_TEXT);
}

void SocketHub::sendBinary(const std::string& sid, const std::string& frame)
{
    ClientPtr client;
    {
        std::lock_guard lock(_mutex);
        auto it = _registry.find(sid);
        if (it == _registry.end()) return;
        client = it->second;
    }
    send(client, frame, WebSocket::FRAME_BINARY);
}

void SocketHub::broadcastBinary(const std::string& frame)
{
    std::vector<ClientPtr> targets;
    {
        std::lock_guard lock(_mutex);
        for (const auto& [sid, client] : _registry) targets.push_back(client);
    }
    for (const auto& client : targets) send(client, frame, WebSocket::FRAME_BINARY);
}

bool SocketHub::supportsPreviewMetadata(const std::string& sid) const
{
    std::lock_guard lock(_mutex);
    auto it = _clientFlags.find(sid);
    if (it == _clientFlags.end()) return false;
    return it->second->optValue<bool>("supports_preview_metadata", false);
}

std::size_t SocketHub::openSockets() const
{
    std::lock_guard lock(_mutex);
    std::size_t count = 0;
    for (const auto& [socket, client] : _open) count += client->closed ? 0 : 1;
    return count;
}

std::vector<std::string> SocketHub::sids() const
{
    std::lock_guard lock(_mutex);
    std::vector<std::string> out;
    for (const auto& [sid, client] : _registry) out.push_back(sid);
    return out;
}

void SocketHub::close(const ClientPtr& client)
{
    client->closed = true;
    {
        std::lock_guard lock(_mutex);
        if (!_open.erase(client->socket)) return;
        _pollSet.remove(client->socket);
        // ComfyUI pops the sid on close even when a newer socket has taken it over.
        _registry.erase(client->sid);
        _clientFlags.erase(client->sid);
    }
    try {
        client->socket.close();
    } catch (...) {
    }
}

void SocketHub::readFrom(const ClientPtr& client)
{
    Poco::Buffer<char> buffer(0);
    int flags = 0;
    int received = 0;
    try {
        received = client->socket.receiveFrame(buffer, flags);
    } catch (const Poco::TimeoutException&) {
        return;
    } catch (const Poco::Exception&) {
        close(client);
        return;
    }
    const int opcode = flags & WebSocket::FRAME_OP_BITMASK;
    if ((received == 0 && flags == 0) || opcode == WebSocket::FRAME_OP_CLOSE) {
        close(client);
        return;
    }
    if (opcode == WebSocket::FRAME_OP_PING) {
        send(client, std::string(buffer.begin(), buffer.size()), static_cast<int>(WebSocket::FRAME_FLAG_FIN) | static_cast<int>(WebSocket::FRAME_OP_PONG));
        return;
    }
    if (opcode != WebSocket::FRAME_OP_TEXT) return;
    if (client->firstMessageSeen) return;
    client->firstMessageSeen = true;
    try {
        Poco::JSON::Parser parser;
        Object::Ptr message = parser.parse(std::string(buffer.begin(), buffer.size())).extract<Object::Ptr>();
        if (message->optValue<std::string>("type", "") != "feature_flags") return;
        Object::Ptr flagsData = message->getObject("data");
        {
            std::lock_guard lock(_mutex);
            _clientFlags[client->sid] = flagsData ? flagsData : Object::Ptr(new Object);
        }
        send(client, envelope("feature_flags", _serverFeatures()), WebSocket::FRAME_TEXT);
    } catch (const Poco::Exception&) {
    }
}

void SocketHub::readLoop()
{
    while (_running) {
        bool idle = false;
        {
            std::lock_guard lock(_mutex);
            idle = _open.empty();
        }
        if (idle) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        Poco::Net::PollSet::SocketModeMap ready;
        try {
            ready = _pollSet.poll(Poco::Timespan(0, 20000));
        } catch (const Poco::Exception&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            continue;
        }
        std::vector<ClientPtr> clients;
        {
            std::lock_guard lock(_mutex);
            for (const auto& [socket, mode] : ready) {
                auto it = _open.find(socket);
                if (it != _open.end()) clients.push_back(it->second);
            }
        }
        for (const auto& client : clients) {
            if (!client->closed) readFrom(client);
            if (client->closed) close(client);
        }
    }
}

} // namespace comfygate::fakes
