#include "WebSocketHub.h"

#include "comfygate/HttpError.h"

#include <Poco/Buffer.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/NetException.h>
#include <Poco/UTF8String.h>

#include <algorithm>

using Poco::Net::WebSocket;

namespace comfygate::comfyproxy {
namespace {

constexpr int readsPerTurn = 16; // frames one worker reads from a socket before others get a turn
constexpr std::size_t inlineWriteBytes = 4096;
// Kernel events kept for sockets in their handshake: a handshake lasts well under a millisecond,
// in which far fewer are published.
constexpr std::size_t recentEventsKept = 64;
// A frame for more clients than this is written by the pool, not by the reader of the
// upstream socket: the events of the next frames must not wait behind a broadcast's writes.
constexpr std::size_t inlineWriteRecipients = 8;

/// The gateway's own first message upstream: metadata previews name their prompt, so each
/// one can be routed by prompt id (clients that did not ask for them get plain previews).
const std::string gatewayFeatures = R"({"type":"feature_flags","data":{"supports_preview_metadata":true}})";

int opcodeOf(int flags)
{
    return flags & WebSocket::FRAME_OP_BITMASK;
}

/// A final frame with `opcode` (Poco's flag and opcode enums do not mix without a cast).
int finalFrame(WebSocket::FrameOpcodes opcode)
{
    return static_cast<int>(WebSocket::FRAME_FLAG_FIN) | static_cast<int>(opcode);
}

void shutdownQuietly(WebSocket& socket)
{
    try {
        socket.shutdown();
    } catch (const Poco::Exception&) {
    }
}

} // namespace

struct WebSocketHub::Client
{
    Client(WebSocket clientSocket, const Principal& who, const std::string& clientId, std::size_t queueFrames)
        : socket(std::move(clientSocket)), principal(who), viewer{who.userId, clientId, who.has("can_view_console")},
          outbound(queueFrames)
    {
    }

    TabKey tab() const { return {viewer.userId, viewer.clientId}; }

    WebSocket socket;
    const Principal principal;
    const FrameRouter::Viewer viewer;

    bool active = true;        ///< guarded by the hub's mutex
    bool firstMessage = true;  ///< touched only by the worker reading this socket (one at a time)
    std::atomic<bool> previewMetadata{false}; ///< negotiated supports_preview_metadata

    std::mutex outMutex; ///< the outgoing side below
    OutboundQueue outbound;
    bool scheduled = false; ///< a flush task is queued (or writing) for this client
    bool writing = false;   ///< a thread is writing this client's queue
    bool closing = false;  ///< the close frame is queued: nothing else may follow
    bool broken = false;   ///< a write failed: the socket can take no more frames
};

struct WebSocketHub::Upstream
{
    explicit Upstream(WebSocket upstreamSocket) : socket(std::move(upstreamSocket)) {}

    WebSocket socket;
    std::mutex sendMutex;
};

WebSocketHub::WebSocketHub(Settings settings, std::string gatewaySid, UpstreamConnector connector,
                           FrameRouter& router, Metrics& metrics, Poco::Logger& logger)
    : _settings(settings), _gatewaySid(std::move(gatewaySid)), _connector(std::move(connector)), _router(router),
      _metrics(metrics), _logger(logger), _workers(settings.workers)
{
}

WebSocketHub::~WebSocketHub()
{
    stop();
}

void WebSocketHub::start(std::function<void()> onUpstreamOpen)
{
    if (_running.exchange(true))
        return;
    _onUpstreamOpen = std::move(onUpstreamOpen);
    _reader = std::thread([this] { pollLoop(); });
    _reconnector = std::thread([this] { keepUpstreamOpen(); });
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
    _upstreamChanged.notify_all();
    if (_reader.joinable())
        _reader.join();
    if (_reconnector.joinable())
        _reconnector.join();
    std::vector<ClientPtr> open;
    {
        std::lock_guard lock(_mutex);
        open.assign(_clients.begin(), _clients.end());
    }
    for (const auto& client : open)
        close(client, 1001, "the gateway is shutting down");
    _broadcastWriter.drain(std::chrono::milliseconds(2000));
    _workers.drain(std::chrono::milliseconds(2000));
    UpstreamPtr upstream;
    {
        std::lock_guard lock(_mutex);
        for (const auto& [socket, watch] : _watched) {
            try {
                _pollSet.remove(socket);
            } catch (const Poco::Exception&) {
            }
        }
        _watched.clear();
        _tabs.clear();
        _awaitingFeatures.clear();
        upstream = std::move(_upstream);
    }
    for (const auto& client : open)
        shutdownQuietly(client->socket);
    if (upstream) {
        const auto goingAway = closeFrame(1001, "");
        upstream->socket.setSendTimeout(Poco::Timespan(1, 0));
        sendUpstream(upstream, goingAway.payload, goingAway.flags);
        shutdownQuietly(upstream->socket);
    }
    _broadcastWriter.stop();
    _workers.stop();
}

// ---- the upstream socket ----

void WebSocketHub::requireUpstream()
{
    if (!_settings.ownUpstream)
        return;
    {
        std::lock_guard lock(_mutex);
        _upstreamWanted = true;
        if (_upstream)
            return;
    }
    _upstreamChanged.notify_all(); // should this attempt fail, the reconnect thread carries on
    openUpstream();
}

void WebSocketHub::openUpstreamInBackground()
{
    if (!_settings.ownUpstream)
        return;
    {
        std::lock_guard lock(_mutex);
        _upstreamWanted = true;
    }
    _upstreamChanged.notify_all();
}

void WebSocketHub::openUpstream()
{
    std::lock_guard connecting(_connectMutex);
    {
        std::lock_guard lock(_mutex);
        if (_stopping)
            throw HttpError(503, "the gateway is shutting down");
        if (_upstream)
            return;
    }
    WebSocket socket = _connector.open(_gatewaySid);
    socket.setReceiveTimeout(_settings.receiveTimeout);
    socket.setSendTimeout(_settings.sendTimeout);
    socket.setMaxPayloadSize(_settings.maxUpstreamMessageBytes);
    auto upstream = std::make_shared<Upstream>(socket);
    if (!sendUpstream(upstream, gatewayFeatures, WebSocket::FRAME_TEXT)) {
        shutdownQuietly(upstream->socket);
        throw HttpError(502, "ComfyUI closed its WebSocket at " + _connector.url() + " right after opening it",
                        "upstream_unavailable");
    }
    {
        std::lock_guard lock(_mutex);
        if (_stopping) {
            shutdownQuietly(upstream->socket);
            return;
        }
        _upstream = upstream;
    }
    _logger.information("opened ComfyUI's WebSocket at %s as %s, shared by every client", _connector.url(),
                        _gatewaySid);
    watchOrRead({nullptr, upstream});
    if (_onUpstreamOpen)
        _onUpstreamOpen();
}

void WebSocketHub::keepUpstreamOpen()
{
    auto delay = _settings.firstRetry;
    std::unique_lock lock(_mutex);
    while (!_stopping) {
        _upstreamChanged.wait(lock, [this] { return _stopping || (_upstreamWanted && !_upstream); });
        if (_stopping)
            return;
        lock.unlock();
        bool opened = false;
        try {
            openUpstream();
            opened = true;
        } catch (const std::exception& e) {
            _logger.debug("ComfyUI's WebSocket is still closed (%s); next attempt in %d ms", std::string(e.what()),
                          static_cast<int>(delay.count()));
        }
        lock.lock();
        if (opened) {
            delay = _settings.firstRetry;
            continue;
        }
        _upstreamChanged.wait_for(lock, delay, [this] { return _stopping || _upstream != nullptr; });
        delay = std::min(delay * 2, _settings.maxRetry);
    }
}

void WebSocketHub::upstreamLost(const UpstreamPtr& upstream)
{
    bool current = false;
    {
        std::lock_guard lock(_mutex);
        unwatchLocked(upstream->socket);
        current = _upstream == upstream;
        if (current)
            _upstream.reset();
    }
    shutdownQuietly(upstream->socket);
    if (!current)
        return;
    _logger.warning("ComfyUI closed the gateway's WebSocket: reconnecting; the clients stay connected and get "
                    "ComfyUI's frames again once it is back");
    _upstreamChanged.notify_all();
}

bool WebSocketHub::sendUpstream(const UpstreamPtr& upstream, const std::string& payload, int flags)
{
    std::lock_guard lock(upstream->sendMutex);
    try {
        upstream->socket.sendFrame(payload.data(), static_cast<int>(payload.size()), flags);
        return true;
    } catch (const Poco::Exception&) {
        return false;
    }
}

// ---- clients ----

std::uint64_t WebSocketHub::publishedMark() const
{
    std::lock_guard lock(_mutex);
    return _published;
}

void WebSocketHub::attach(WebSocket socket, const Principal& principal, const std::string& clientId,
                          std::uint64_t mark)
{
    socket.setReceiveTimeout(_settings.receiveTimeout);
    socket.setSendTimeout(_settings.sendTimeout);
    socket.setMaxPayloadSize(_settings.maxClientMessageBytes);
    socket.setNoDelay(true);
    auto client = std::make_shared<Client>(socket, principal, clientId, _settings.queueFrames);
    std::vector<OutboundQueue::Frame> first{{_router.firstStatus(client->viewer), WebSocket::FRAME_TEXT, false, false}};
    if (auto executing = _router.reconnectFrame(client->viewer); !executing.empty())
        first.push_back({std::move(executing), WebSocket::FRAME_TEXT, false, false});
    {
        std::lock_guard lock(_mutex);
        if (_stopping) {
            shutdownQuietly(client->socket);
            return;
        }
        // The events published while the 101 answer travelled follow the first frames, ahead of
        // any published from now on: both are queued under the hub's lock that `publish` takes.
        for (const auto& event : _recentEvents)
            if (event.number > mark && event.audience.includes(client->principal))
                first.push_back({event.frame, WebSocket::FRAME_TEXT, false, false});
        {
            std::lock_guard out(client->outMutex);
            for (auto& frame : first)
                client->outbound.push(std::move(frame));
            client->scheduled = true; // written by the task below, once registered
        }
        _clients.insert(client);
        _tabs[client->tab()] = client; // the older socket of this tab, if any, stays open without ComfyUI's frames
    }
    _workers.submit([this, client] { flush(client); });
    _metrics.webSocketOpened();
    watchOrRead({client, nullptr});
}

void WebSocketHub::publish(const Event& event)
{
    const std::string text = "{\"type\":\"" + Poco::UTF8::escape(event.type, true) +
                             "\",\"data\":" + (event.jsonData.empty() ? std::string("null") : event.jsonData) + "}";
    std::vector<ClientPtr> targets;
    {
        std::lock_guard lock(_mutex);
        _recentEvents.push_back({++_published, event.audience, text});
        if (_recentEvents.size() > recentEventsKept)
            _recentEvents.pop_front();
        for (const auto& client : _clients)
            if (event.audience.includes(client->principal))
                targets.push_back(client);
    }
    for (const auto& client : targets)
        enqueue(client, {text, WebSocket::FRAME_TEXT, false, false});
}

bool WebSocketHub::subscribeLogs(const std::string& userId, const std::string& clientId, bool enabled)
{
    std::lock_guard lock(_mutex);
    if (enabled)
        _logSubscribers.insert({userId, clientId});
    else
        _logSubscribers.erase({userId, clientId});
    return !_logSubscribers.empty();
}

bool WebSocketHub::hasLogSubscribers() const
{
    std::lock_guard lock(_mutex);
    return !_logSubscribers.empty();
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
        for (const auto& target : toRead) {
            if (target.upstream)
                _workers.submitFirst([this, target] { readFrom(target); });
            else
                _workers.submit([this, target] { readFrom(target); });
        }
    }
}

void WebSocketHub::watch(const Watch& target)
{
    {
        std::lock_guard lock(_mutex);
        const bool open = target.client ? target.client->active : target.upstream == _upstream;
        if (!open || _stopping)
            return;
        const WebSocket& socket = target.client ? target.client->socket : target.upstream->socket;
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

void WebSocketHub::watchOrRead(const Watch& target)
{
    WebSocket& socket = target.client ? target.client->socket : target.upstream->socket;
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
    WebSocket& socket = target.client ? target.client->socket : target.upstream->socket;
    for (int frame = 0; frame < readsPerTurn; ++frame) {
        const bool more = target.client ? readClientFrame(target.client) : readUpstreamFrame(target.upstream);
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
    watch(target); // back into the set, unless this socket was closed meanwhile
}

bool WebSocketHub::readClientFrame(const ClientPtr& client)
{
    Poco::Buffer<char> buffer(0);
    int flags = 0;
    int received = 0;
    try {
        received = client->socket.receiveFrame(buffer, flags);
    } catch (const Poco::Net::WebSocketException& e) {
        if (e.code() == WebSocket::WS_ERR_PAYLOAD_TOO_BIG)
            close(client, 1009,
                  "message too big: at most " + std::to_string(_settings.maxClientMessageBytes / 1024) + " KiB");
        else
            close(client, 1002, "WebSocket protocol error");
        return false;
    } catch (const Poco::Exception&) {
        close(client, 1001, "connection lost"); // reset, or a frame that stalled half-way
        return false;
    }
    const int opcode = opcodeOf(flags);
    if ((received == 0 && flags == 0) || opcode == WebSocket::FRAME_OP_CLOSE) {
        close(client, 1000, "");
        return false;
    }
    if (opcode == WebSocket::FRAME_OP_PING) {
        enqueue(client,
                {std::string(buffer.begin(), buffer.size()), finalFrame(WebSocket::FRAME_OP_PONG), false, true});
        return true;
    }
    // ComfyUI reads only a client's first text message (feature_flags): answered here. Later
    // text, binary frames and fragments carry nothing ComfyUI reads: dropped.
    if (client->firstMessage && opcode == WebSocket::FRAME_OP_TEXT && (flags & WebSocket::FRAME_FLAG_FIN))
        negotiateFeatures(client, buffer.begin(), buffer.size());
    return true;
}

void WebSocketHub::negotiateFeatures(const ClientPtr& client, const char* data, std::size_t size)
{
    Poco::JSON::Object::Ptr message;
    try {
        const auto parsed = Poco::JSON::Parser().parse(std::string(data, size));
        client->firstMessage = false; // as in ComfyUI, a message that is not JSON does not count
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
            return;
        message = parsed.extract<Poco::JSON::Object::Ptr>();
        if (message->optValue<std::string>("type", "") != "feature_flags")
            return;
        const auto flags = message->getObject("data");
        client->previewMetadata = flags && flags->has("supports_preview_metadata") &&
                                  flags->get("supports_preview_metadata").isBoolean() &&
                                  flags->getValue<bool>("supports_preview_metadata");
    } catch (const Poco::Exception&) {
        return;
    }
    std::string answer;
    {
        std::lock_guard lock(_mutex);
        if (_serverFeatures.empty()) {
            _awaitingFeatures.push_back(client); // answered when ComfyUI's answer arrives
            return;
        }
        answer = _serverFeatures;
    }
    enqueue(client, {std::move(answer), WebSocket::FRAME_TEXT, false, false}, Writer::ThisWorker);
}

bool WebSocketHub::readUpstreamFrame(const UpstreamPtr& upstream)
{
    const auto receivedAt = FrameRouter::Clock::now();
    Poco::Buffer<char> buffer(0);
    int flags = 0;
    int received = 0;
    bool gone = false;
    try {
        received = upstream->socket.receiveFrame(buffer, flags);
        gone = (received == 0 && flags == 0) || opcodeOf(flags) == WebSocket::FRAME_OP_CLOSE;
    } catch (const Poco::Exception&) {
        gone = true;
    }
    if (gone) {
        upstreamLost(upstream);
        return false;
    }
    const int opcode = opcodeOf(flags);
    if (opcode == WebSocket::FRAME_OP_PING) {
        if (!sendUpstream(upstream, std::string(buffer.begin(), buffer.size()), finalFrame(WebSocket::FRAME_OP_PONG))) {
            upstreamLost(upstream);
            return false;
        }
        return true;
    }
    if (opcode != WebSocket::FRAME_OP_TEXT && opcode != WebSocket::FRAME_OP_BINARY)
        return true;
    const bool binary = opcode == WebSocket::FRAME_OP_BINARY;
    const std::string payload(buffer.begin(), buffer.size());
    deliver(_router.route(payload, binary, receivedAt), payload, binary, receivedAt);
    return true;
}

void WebSocketHub::deliverHostFrame(const std::string& payload, bool binary)
{
    const auto receivedAt = FrameRouter::Clock::now();
    deliver(_router.route(payload, binary, receivedAt), payload, binary, receivedAt);
}

// ---- routing ----

std::vector<WebSocketHub::ClientPtr> WebSocketHub::recipientsLocked(const FrameRouter::Delivery& delivery) const
{
    using To = FrameRouter::Delivery::To;
    std::vector<ClientPtr> recipients;
    switch (delivery.to) {
    case To::Tab:
        if (!delivery.userId.empty()) {
            const auto found = _tabs.find({delivery.userId, delivery.clientId});
            if (found != _tabs.end())
                recipients.push_back(found->second);
        } else {
            for (const auto& [tab, client] : _tabs)
                if (tab.second == delivery.clientId)
                    recipients.push_back(client);
        }
        break;
    case To::User:
        for (auto tab = _tabs.lower_bound({delivery.userId, ""});
             tab != _tabs.end() && tab->first.first == delivery.userId; ++tab)
            recipients.push_back(tab->second);
        break;
    case To::Everyone:
        recipients.reserve(_tabs.size());
        for (const auto& [tab, client] : _tabs)
            recipients.push_back(client);
        break;
    case To::LogSubscribers:
        for (const auto& subscriber : _logSubscribers) {
            const auto found = _tabs.find(subscriber);
            if (found != _tabs.end() && found->second->viewer.seesLogs)
                recipients.push_back(found->second);
        }
        break;
    case To::Nobody:
    case To::Gateway:
        break;
    }
    return recipients;
}

void WebSocketHub::deliver(const FrameRouter::Delivery& delivery, const std::string& payload, bool binary,
                           FrameRouter::Clock::time_point receivedAt)
{
    using To = FrameRouter::Delivery::To;
    if (delivery.to == To::Nobody)
        return;
    if (delivery.to == To::Gateway) {
        relayServerFeatures(payload);
        return;
    }
    std::vector<ClientPtr> recipients;
    {
        std::lock_guard lock(_mutex);
        recipients = recipientsLocked(delivery);
    }
    // A status frame reads the same for every socket of a user, unless it names the sid (the
    // first one after the upstream socket opened): rewritten once per user, or per socket.
    const bool namesSid = delivery.status && payload.find("\"sid\"") != std::string::npos;
    std::map<std::string, std::string> statusOfUser;
    std::string plainPreview;
    const int flags = binary ? WebSocket::FRAME_BINARY : WebSocket::FRAME_TEXT;
    const Writer writer = recipients.size() <= inlineWriteRecipients ? Writer::ThisWorker : Writer::Broadcast;
    for (const auto& client : recipients) {
        std::string frame;
        if (delivery.status && namesSid) {
            frame = _router.statusFor(client->viewer, payload, receivedAt);
        } else if (delivery.status) {
            auto status = statusOfUser.find(client->viewer.userId);
            if (status == statusOfUser.end())
                status = statusOfUser
                             .emplace(client->viewer.userId, _router.statusFor(client->viewer, payload, receivedAt))
                             .first;
            frame = status->second;
        } else if (delivery.metadataPreview && !client->previewMetadata) {
            if (plainPreview.empty())
                plainPreview = FrameRouter::asPlainPreview(payload);
            if (plainPreview.empty())
                continue;
            frame = plainPreview;
        } else {
            frame = payload;
        }
        enqueue(client, {std::move(frame), flags, delivery.preview, false, delivery.status && !namesSid}, writer);
    }
}

void WebSocketHub::relayServerFeatures(const std::string& payload)
{
    std::vector<ClientPtr> waiting;
    {
        std::lock_guard lock(_mutex);
        _serverFeatures = payload;
        waiting.swap(_awaitingFeatures);
    }
    for (const auto& client : waiting)
        enqueue(client, {payload, WebSocket::FRAME_TEXT, false, false}, Writer::ThisWorker);
}

// ---- writing ----

void WebSocketHub::enqueue(const ClientPtr& client, OutboundQueue::Frame frame, Writer writer)
{
    const bool small = frame.payload.size() <= inlineWriteBytes;
    bool overflow = false;
    bool schedule = false;
    {
        std::lock_guard lock(client->outMutex);
        if (client->closing)
            return;
        overflow = client->outbound.push(std::move(frame)) == OutboundQueue::Result::Overflow;
        if (!overflow && !client->scheduled) {
            client->scheduled = true;
            schedule = true;
        }
    }
    if (overflow) {
        close(client, 1008,
              "too slow: the gateway would have had to drop events (comfy.ws_queue_frames = " +
                  std::to_string(_settings.queueFrames) + ")");
        return;
    }
    // A small frame for a client that can take it now is written by this worker: most frames
    // are small events, and handing each to another worker costs more than the write. It does
    // so even when the broadcast writer has yet to reach this client (the queue keeps the order).
    if (writer == Writer::ThisWorker && small && writable(client->socket)) {
        flush(client);
        return;
    }
    if (!schedule)
        return;
    auto& pool = writer == Writer::Broadcast ? _broadcastWriter : _workers;
    pool.submit([this, client] { flush(client); });
}

bool WebSocketHub::writable(WebSocket& socket)
{
    try {
        return socket.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_WRITE);
    } catch (const Poco::Exception&) {
        return false;
    }
}

void WebSocketHub::flush(const ClientPtr& client)
{
    {
        std::lock_guard lock(client->outMutex);
        if (client->writing)
            return; // the thread that writes takes every queued frame
        client->writing = true;
    }
    while (true) {
        std::optional<OutboundQueue::Frame> frame;
        {
            std::lock_guard lock(client->outMutex);
            frame = client->outbound.pop();
            if (!frame) {
                client->writing = false;
                client->scheduled = false;
                return;
            }
        }
        const bool last = opcodeOf(frame->flags) == WebSocket::FRAME_OP_CLOSE;
        bool failed = false;
        try {
            client->socket.sendFrame(frame->payload.data(), static_cast<int>(frame->payload.size()), frame->flags);
        } catch (const Poco::Exception&) {
            failed = true; // gone, or it did not take a frame within the send timeout
        }
        if (failed || last) {
            {
                std::lock_guard lock(client->outMutex);
                client->broken = client->broken || failed;
                client->closing = true;
                client->writing = false;
                client->scheduled = false;
                while (client->outbound.pop()) {
                }
            }
            if (failed)
                close(client, 1008, "too slow: a frame was not taken within the send timeout");
            shutdownQuietly(client->socket);
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

void WebSocketHub::close(const ClientPtr& client, int code, const std::string& reason)
{
    {
        std::lock_guard lock(_mutex);
        if (!client->active)
            return;
        client->active = false;
        _clients.erase(client);
        unwatchLocked(client->socket);
        const auto tab = _tabs.find(client->tab());
        if (tab != _tabs.end() && tab->second == client) {
            _tabs.erase(tab);
            _logSubscribers.erase(client->tab()); // as in ComfyUI, a subscription ends with its socket
        }
        _awaitingFeatures.erase(std::remove(_awaitingFeatures.begin(), _awaitingFeatures.end(), client),
                                _awaitingFeatures.end());
    }
    _metrics.webSocketClosed();
    if (code == 1008 || code == 1009 || code == 1002)
        _logger.information("closed the WebSocket of user %s (clientId %s): %d %s", client->viewer.userId,
                            client->viewer.clientId, code, reason);
    bool schedule = false;
    {
        std::lock_guard lock(client->outMutex);
        if (!client->broken) {
            client->closing = true;
            client->outbound.replaceWith(closeFrame(code, reason));
            if (!client->scheduled) {
                client->scheduled = true;
                schedule = true;
            }
        }
    }
    if (schedule)
        _workers.submit([this, client] { flush(client); });
    else if (client->broken)
        shutdownQuietly(client->socket);
}

} // namespace comfygate::comfyproxy
