#pragma once

#include "FrameFilter.h"
#include "OutboundQueue.h"
#include "WorkerPool.h"
#include "comfygate/EventBus.h"
#include "comfygate/Metrics.h"
#include "comfygate/Principal.h"

#include <Poco/Logger.h>
#include <Poco/Net/PollSet.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/Timespan.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace comfygate::comfyproxy {

/// Every proxied WebSocket: each client socket paired with its own upstream ComfyUI socket.
///
/// No thread per socket: one reader thread waits on all client and upstream sockets with
/// epoll (Poco::Net::PollSet); a ready socket leaves the set while a worker of a small pool
/// reads its frames (so a half-sent frame holds up one worker for at most the receive timeout,
/// never the reader), then rejoins it. Frames for a client go through its bounded
/// OutboundQueue and are written by a worker with a send timeout, so a slow client only ever
/// delays itself; when its queue overflows with JSON it is closed with 1008.
///
/// Take-over: a second socket of the same user with the same clientId becomes the one
/// ComfyUI sends to (its upstream sid is the same); the older one stays open, as in ComfyUI.
/// ComfyUI forgets a sid when *any* socket of that sid closes, so the upstream socket of a
/// taken-over connection is kept open (and read, its frames dropped) until the newest
/// connection of that sid closes.
class WebSocketHub
{
public:
    struct Settings
    {
        std::size_t queueFrames = 256;         ///< comfy.ws_queue_frames
        int maxClientMessageBytes = 64 * 1024; ///< comfy.ws_max_message_kib
        int maxUpstreamMessageBytes = 64 * 1024 * 1024;
        std::size_t workers = 4;
        Poco::Timespan sendTimeout{5, 0};    ///< a client that takes longer to take a frame is dropped
        Poco::Timespan receiveTimeout{5, 0}; ///< the longest a started frame may take to arrive
    };

    WebSocketHub(Settings settings, FrameFilter& filter, Metrics& metrics, Poco::Logger& logger);
    ~WebSocketHub();
    WebSocketHub(const WebSocketHub&) = delete;
    WebSocketHub& operator=(const WebSocketHub&) = delete;

    void start();
    /// Closes every connection (1001 to clients) and stops the threads; idempotent.
    void stop();

    /// Takes over an upgraded client socket and its connected upstream socket.
    void attach(Poco::Net::WebSocket client, Poco::Net::WebSocket upstream, const Principal& principal,
                const std::string& clientId);

    /// A kernel event: sent as `{"type","data"}` to the open sockets of its audience. Never blocks.
    void publish(const Event& event);

private:
    struct Bridge;
    using BridgePtr = std::shared_ptr<Bridge>;
    enum class Side
    {
        Client,
        Upstream
    };
    struct Watch
    {
        BridgePtr bridge;
        Side side = Side::Client;
    };

    void pollLoop();
    void watch(const Watch& watch);
    void unwatchLocked(const Poco::Net::Socket& socket);
    void readFrom(const Watch& watch);
    /// Reads and handles one frame; false when this side is finished.
    bool readClientFrame(const BridgePtr& bridge);
    bool readUpstreamFrame(const BridgePtr& bridge);
    void forwardUpstream(const BridgePtr& bridge, const char* data, int size, int flags);
    /// Queues a frame for the client. `onWorker`: the caller is a worker, which may write a
    /// small frame itself when the socket has room (never the event bus publisher's thread).
    void enqueue(const BridgePtr& bridge, OutboundQueue::Frame frame, bool onWorker = false);
    static bool writable(Poco::Net::WebSocket& socket);
    void flush(const BridgePtr& bridge);
    /// Ends a connection: close frame to the client, upstream closed (or kept for a newer
    /// connection of the same sid). `upstreamAlive` false when the upstream side failed.
    void close(const BridgePtr& bridge, int code, const std::string& reason, bool upstreamAlive = true);
    void closeUpstream(const BridgePtr& bridge);
    static OutboundQueue::Frame closeFrame(int code, const std::string& reason);

    Settings _settings;
    FrameFilter& _filter;
    Metrics& _metrics;
    Poco::Logger& _logger;
    WorkerPool _workers;

    mutable std::mutex _mutex; ///< everything below, and each bridge's open flags and heirs
    std::condition_variable _watchedChanged;
    Poco::Net::PollSet _pollSet;
    std::map<Poco::Net::Socket, Watch> _watched;
    std::set<BridgePtr> _bridges;                                      ///< active connections
    std::map<std::pair<std::string, std::string>, BridgePtr> _current; ///< (user, clientId) → newest
    bool _stopping = false;
    std::atomic<bool> _running{false};
    std::thread _reader;
};

} // namespace comfygate::comfyproxy
