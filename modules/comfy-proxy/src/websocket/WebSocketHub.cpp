#include "WebSocketHub.h"

#include <Poco/Buffer.h>
#include <Poco/Net/NetException.h>
#include <Poco/UTF8String.h>

#include <chrono>

using Poco::Net::WebSocket;

namespace comfygate::comfyproxy {
namespace {

constexpr int readsPerTurn = 16; // frames one worker reads from a socket before others get a turn
constexpr std::size_t inlineWriteBytes = 4096;

int opcodeOf(int flags)
{
    return flags & WebSocket::FRAME_OP_BITMASK;
}

/// A final frame with `opcode` (Poco's flag and opcode enums do not mix without a cast).
int finalFrame(WebSocket::FrameOpcodes opcode)
{
    return static_cast<int>(WebSocket::FRAME_FLAG_FIN) | static_cast<int>(opcode);
}

} // namespace

struct WebSocketHub::Bridge
{
    Bridge(WebSocket clientSocket, WebSocket upstreamSocket, const Principal& who, const std::string& clientId,
           std::size_t queueFrames)
        : client(std::move(clientSocket)), upstream(std::move(upstreamSocket)),
          principal(who), viewer{who.userId, clientId, who.has("can_view_console")}, outbound(queueFrames)
    {
    }

    WebSocket client;
    WebSocket upstream;
    const Principal principal;
    const FrameFilter::Viewer viewer;

    // Guarded by the hub's mutex.
    bool active = true;             ///< the client side is open
    bool upstreamOpen = true;       ///< stays open after the client left when a newer connection has the sid
    std::vector<BridgePtr> retired; ///< taken-over connections whose upstream this one keeps open

    std::mutex outMutex; ///< the outgoing side below
    OutboundQueue outbound;
    bool flushing = false; ///< a worker is writing this client's queue
    bool closing = false;  ///< the close frame is queued: nothing else may follow
    bool broken = false;   ///< a write failed: the socket can take no more frames

    std::mutex upstreamSendMutex;
};

WebSocketHub::WebSocketHub(Settings settings, FrameFilter& filter, Metrics& metrics, Poco::Logger& logger)
    : _settings(settings), _filter(filter), _metrics(metrics), _logger(logger), _workers(settings.workers)
{
}

WebSocketHub::~WebSocketHub()
{
    stop();
}

void WebSocketHub::start()
{
    if (_running.exchange(true))
        return;
    _reader = std::thread([this] { pollLoop(); });
}

void WebSocketHub::stop()
{
    {
        std::lock_guard lock(_mutex);
        if (_stopping)
            return;
        _stopping = true;
    }
    _running = false;
    _watchedChanged.notify_all();
    if (_reader.joinable())
        _reader.join();
    std::vector<BridgePtr> open;
    {
        std::lock_guard lock(_mutex);
        open.assign(_bridges.begin(), _bridges.end());
    }
    for (const auto& bridge : open)
        close(bridge, 1001, "the gateway is shutting down");
    _workers.drain(std::chrono::milliseconds(2000));
    {
        std::lock_guard lock(_mutex);
        for (const auto& [socket, watch] : _watched) {
            try {
                _pollSet.remove(socket);
            } catch (const Poco::Exception&) {
            }
        }
        _watched.clear();
        _current.clear();
    }
    for (const auto& bridge : open) {
        for (WebSocket* socket : {&bridge->client, &bridge->upstream}) {
            try {
                socket->shutdown();
            } catch (const Poco::Exception&) {
            }
        }
    }
    _workers.stop();
}

void WebSocketHub::attach(WebSocket client, WebSocket upstream, const Principal& principal, const std::string& clientId)
{
    client.setReceiveTimeout(_settings.receiveTimeout);
    client.setSendTimeout(_settings.sendTimeout);
    client.setMaxPayloadSize(_settings.maxClientMessageBytes);
    client.setNoDelay(true);
    upstream.setReceiveTimeout(_settings.receiveTimeout);
    upstream.setSendTimeout(_settings.sendTimeout);
    upstream.setMaxPayloadSize(_settings.maxUpstreamMessageBytes);
    auto bridge = std::make_shared<Bridge>(client, upstream, principal, clientId, _settings.queueFrames);
    {
        std::lock_guard lock(_mutex);
        if (_stopping) {
            client.shutdown();
            upstream.shutdown();
            return;
        }
        _bridges.insert(bridge);
        _current[{principal.userId, clientId}] = bridge; // the older one, if any, stays open
    }
    _metrics.webSocketOpened();
    // Bytes that arrived with the handshake sit in Poco's buffer, where epoll cannot see them.
    for (const Side side : {Side::Upstream, Side::Client}) {
        const Watch target{bridge, side};
        WebSocket& socket = side == Side::Client ? bridge->client : bridge->upstream;
        int buffered = 0;
        try {
            buffered = socket.available();
        } catch (const Poco::Exception&) {
        }
        if (buffered > 0)
            _workers.submit([this, target] { readFrom(target); });
        else
            watch(target);
    }
}

void WebSocketHub::publish(const Event& event)
{
    std::vector<BridgePtr> targets;
    {
        std::lock_guard lock(_mutex);
        for (const auto& bridge : _bridges)
            if (event.audience.includes(bridge->principal))
                targets.push_back(bridge);
    }
    if (targets.empty())
        return;
    const std::string text = "{\"type\":\"" + Poco::UTF8::escape(event.type, true) +
                             "\",\"data\":" + (event.jsonData.empty() ? std::string("null") : event.jsonData) + "}";
    for (const auto& bridge : targets)
        enqueue(bridge, {text, WebSocket::FRAME_TEXT, false, false});
}

// ---- reading ----

void WebSocketHub::pollLoop()
{
    while (_running) {
        {
            std::unique_lock lock(_mutex);
            _watchedChanged.wait_for(lock, std::chrono::milliseconds(100),
                                     [this] { return !_running || !_watched.empty(); });
            if (_watched.empty())
                continue; // Poco's PollSet returns at once when empty
        }
        Poco::Net::PollSet::SocketModeMap ready;
        try {
            ready = _pollSet.poll(Poco::Timespan(0, 100000));
        } catch (const Poco::Exception& e) {
            _logger.warning("WebSocket poll failed: %s", e.displayText());
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            continue;
        }
        std::vector<Watch> toRead;
        {
            std::lock_guard lock(_mutex);
            for (const auto& [socket, mode] : ready) {
                const auto found = _watched.find(socket);
                if (found == _watched.end())
                    continue;
                toRead.push_back(found->second);
                unwatchLocked(socket); // one reader per socket at a time: out of the set while read
            }
        }
        for (const auto& target : toRead)
            _workers.submit([this, target] { readFrom(target); });
    }
}

void WebSocketHub::watch(const Watch& target)
{
    {
        std::lock_guard lock(_mutex);
        const bool open = target.side == Side::Client ? target.bridge->active : target.bridge->upstreamOpen;
        if (!open || _stopping)
            return;
        const WebSocket& socket = target.side == Side::Client ? target.bridge->client : target.bridge->upstream;
        if (!_watched.emplace(socket, target).second)
            return;
        try {
            _pollSet.add(socket, Poco::Net::PollSet::POLL_READ | Poco::Net::PollSet::POLL_ERROR);
        } catch (const Poco::Exception& e) {
            _watched.erase(socket);
            _logger.warning("cannot watch a WebSocket: %s", e.displayText());
            return;
        }
    }
    _watchedChanged.notify_one();
}

void WebSocketHub::unwatchLocked(const Poco::Net::Socket& socket)
{
    if (_watched.erase(socket) == 0)
        return;
    try {
        _pollSet.remove(socket);
    } catch (const Poco::Exception&) {
        // already closed by the peer; epoll forgot it with the descriptor
    }
}

void WebSocketHub::readFrom(const Watch& target)
{
    WebSocket& socket = target.side == Side::Client ? target.bridge->client : target.bridge->upstream;
    for (int frame = 0; frame < readsPerTurn; ++frame) {
        const bool more =
            target.side == Side::Client ? readClientFrame(target.bridge) : readUpstreamFrame(target.bridge);
        if (!more)
            return;
        int available = 0;
        try {
            available = socket.available();
        } catch (const Poco::Exception&) {
        }
        if (available <= 0)
            break;
    }
    watch(target); // back into the set, unless this side was closed meanwhile
}

bool WebSocketHub::readClientFrame(const BridgePtr& bridge)
{
    Poco::Buffer<char> buffer(0);
    int flags = 0;
    int received = 0;
    try {
        received = bridge->client.receiveFrame(buffer, flags);
    } catch (const Poco::Net::WebSocketException& e) {
        if (e.code() == WebSocket::WS_ERR_PAYLOAD_TOO_BIG)
            close(bridge, 1009,
                  "message too big: at most " + std::to_string(_settings.maxClientMessageBytes / 1024) + " KiB");
        else
            close(bridge, 1002, "WebSocket protocol error");
        return false;
    } catch (const Poco::Exception&) {
        close(bridge, 1001, "connection lost"); // reset, or a frame that stalled half-way
        return false;
    }
    const int opcode = opcodeOf(flags);
    if ((received == 0 && flags == 0) || opcode == WebSocket::FRAME_OP_CLOSE) {
        close(bridge, 1000, "");
        return false;
    }
    if (opcode == WebSocket::FRAME_OP_PING) {
        enqueue(bridge,
                {std::string(buffer.begin(), buffer.size()), finalFrame(WebSocket::FRAME_OP_PONG), false, true});
        return true;
    }
    // Text goes to ComfyUI (the first one negotiates feature_flags; it ignores the rest).
    // Binary frames and fragments carry nothing ComfyUI reads: dropped.
    if (opcode == WebSocket::FRAME_OP_TEXT && (flags & WebSocket::FRAME_FLAG_FIN))
        forwardUpstream(bridge, buffer.begin(), static_cast<int>(buffer.size()), WebSocket::FRAME_TEXT);
    return true;
}

bool WebSocketHub::readUpstreamFrame(const BridgePtr& bridge)
{
    const auto receivedAt = FrameFilter::Clock::now();
    Poco::Buffer<char> buffer(0);
    int flags = 0;
    int received = 0;
    bool gone = false;
    try {
        received = bridge->upstream.receiveFrame(buffer, flags);
        gone = (received == 0 && flags == 0) || opcodeOf(flags) == WebSocket::FRAME_OP_CLOSE;
    } catch (const Poco::Exception&) {
        gone = true;
    }
    bool active = false;
    {
        std::lock_guard lock(_mutex);
        active = bridge->active;
        if (gone) {
            bridge->upstreamOpen = false;
            unwatchLocked(bridge->upstream);
        }
    }
    if (gone) {
        if (active)
            close(bridge, 1001, "ComfyUI closed the connection", false);
        try {
            bridge->upstream.shutdown();
        } catch (const Poco::Exception&) {
        }
        return false;
    }
    const int opcode = opcodeOf(flags);
    if (opcode == WebSocket::FRAME_OP_PING) {
        forwardUpstream(bridge, buffer.begin(), static_cast<int>(buffer.size()), finalFrame(WebSocket::FRAME_OP_PONG));
        return true;
    }
    // A retired upstream (its client left, a newer socket has the sid) is only drained.
    if (!active || (opcode != WebSocket::FRAME_OP_TEXT && opcode != WebSocket::FRAME_OP_BINARY))
        return true;
    const bool binary = opcode == WebSocket::FRAME_OP_BINARY;
    auto frame = _filter.filter(bridge->viewer, std::string(buffer.begin(), buffer.size()), binary, receivedAt);
    if (frame)
        enqueue(bridge,
                {std::move(frame->payload), binary ? WebSocket::FRAME_BINARY : WebSocket::FRAME_TEXT, frame->preview,
                 false},
                true);
    return true;
}

void WebSocketHub::forwardUpstream(const BridgePtr& bridge, const char* data, int size, int flags)
{
    bool failed = false;
    {
        std::lock_guard lock(bridge->upstreamSendMutex);
        try {
            bridge->upstream.sendFrame(data, size, flags);
        } catch (const Poco::Exception&) {
            failed = true;
        }
    }
    if (failed)
        close(bridge, 1001, "ComfyUI closed the connection", false);
}

// ---- writing ----

void WebSocketHub::enqueue(const BridgePtr& bridge, OutboundQueue::Frame frame, bool onWorker)
{
    const bool small = frame.payload.size() <= inlineWriteBytes;
    bool overflow = false;
    bool schedule = false;
    {
        std::lock_guard lock(bridge->outMutex);
        if (bridge->closing)
            return;
        overflow = bridge->outbound.push(std::move(frame)) == OutboundQueue::Result::Overflow;
        if (!overflow && !bridge->flushing) {
            bridge->flushing = true;
            schedule = true;
        }
    }
    if (overflow) {
        close(bridge, 1008,
              "too slow: the gateway would have had to drop events (comfy.ws_queue_frames = " +
                  std::to_string(_settings.queueFrames) + ")");
        return;
    }
    if (!schedule)
        return;
    // A small frame for a client that can take it now is written by this worker: most frames
    // are small events, and handing each to another worker costs more than the write.
    if (onWorker && small && writable(bridge->client))
        flush(bridge);
    else
        _workers.submit([this, bridge] { flush(bridge); });
}

bool WebSocketHub::writable(WebSocket& socket)
{
    try {
        return socket.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_WRITE);
    } catch (const Poco::Exception&) {
        return false;
    }
}

void WebSocketHub::flush(const BridgePtr& bridge)
{
    while (true) {
        std::optional<OutboundQueue::Frame> frame;
        {
            std::lock_guard lock(bridge->outMutex);
            frame = bridge->outbound.pop();
            if (!frame) {
                bridge->flushing = false;
                return;
            }
        }
        const bool last = opcodeOf(frame->flags) == WebSocket::FRAME_OP_CLOSE;
        bool failed = false;
        try {
            bridge->client.sendFrame(frame->payload.data(), static_cast<int>(frame->payload.size()), frame->flags);
        } catch (const Poco::Exception&) {
            failed = true; // gone, or it did not take a frame within the send timeout
        }
        if (failed || last) {
            {
                std::lock_guard lock(bridge->outMutex);
                bridge->broken = bridge->broken || failed;
                bridge->closing = true;
                bridge->flushing = false;
                while (bridge->outbound.pop()) {
                }
            }
            if (failed)
                close(bridge, 1008, "too slow: a frame was not taken within the send timeout");
            try {
                bridge->client.shutdown();
            } catch (const Poco::Exception&) {
            }
            return;
        }
    }
}

OutboundQueue::Frame WebSocketHub::closeFrame(int code, const std::string& reason)
{
    std::string payload;
    payload += static_cast<char>((code >> 8) & 0xff);
    payload += static_cast<char>(code & 0xff);
    payload += reason.substr(0, 123); // a control frame carries at most 125 bytes
    return {payload, finalFrame(WebSocket::FRAME_OP_CLOSE), false, true};
}

void WebSocketHub::close(const BridgePtr& bridge, int code, const std::string& reason, bool upstreamAlive)
{
    std::vector<BridgePtr> upstreams;
    {
        std::lock_guard lock(_mutex);
        if (!bridge->active)
            return;
        bridge->active = false;
        _bridges.erase(bridge);
        unwatchLocked(bridge->client);
        if (!upstreamAlive) {
            bridge->upstreamOpen = false;
            unwatchLocked(bridge->upstream);
        }
        BridgePtr heir;
        const auto current = _current.find({bridge->viewer.userId, bridge->viewer.clientId});
        if (current != _current.end() && current->second == bridge)
            _current.erase(current);
        else if (current != _current.end() && !_stopping)
            heir = current->second;
        // ComfyUI drops the sid when any of its sockets closes, so while a newer connection
        // uses this sid, the upstream sockets of older ones stay open with it.
        std::vector<BridgePtr> held = std::move(bridge->retired);
        bridge->retired.clear();
        if (bridge->upstreamOpen)
            held.push_back(bridge);
        for (const auto& old : held) {
            if (heir)
                heir->retired.push_back(old);
            else if (old->upstreamOpen) {
                old->upstreamOpen = false;
                unwatchLocked(old->upstream);
                upstreams.push_back(old);
            }
        }
    }
    _metrics.webSocketClosed();
    if (code == 1008 || code == 1009 || code == 1002)
        _logger.information("closed the WebSocket of user %s (clientId %s): %d %s", bridge->viewer.userId,
                            bridge->viewer.clientId, code, reason);
    bool schedule = false;
    {
        std::lock_guard lock(bridge->outMutex);
        if (!bridge->broken) {
            bridge->closing = true;
            bridge->outbound.replaceWith(closeFrame(code, reason));
            if (!bridge->flushing) {
                bridge->flushing = true;
                schedule = true;
            }
        }
    }
    if (schedule)
        _workers.submit([this, bridge] { flush(bridge); });
    else if (bridge->broken) {
        try {
            bridge->client.shutdown();
        } catch (const Poco::Exception&) {
        }
    }
    for (const auto& old : upstreams)
        closeUpstream(old);
}

void WebSocketHub::closeUpstream(const BridgePtr& bridge)
{
    std::lock_guard lock(bridge->upstreamSendMutex);
    try {
        const auto frame = closeFrame(1000, "");
        bridge->upstream.setSendTimeout(Poco::Timespan(1, 0));
        bridge->upstream.sendFrame(frame.payload.data(), static_cast<int>(frame.payload.size()), frame.flags);
    } catch (const Poco::Exception&) {
    }
    try {
        bridge->upstream.shutdown();
    } catch (const Poco::Exception&) {
    }
}

} // namespace comfygate::comfyproxy
