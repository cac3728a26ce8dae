#pragma once

#include "FrameRouter.h"
#include "OutboundQueue.h"
#include "UpstreamConnector.h"
#include "WorkerPool.h"
#include "comfygate/EventBus.h"
#include "comfygate/Metrics.h"
#include "comfygate/Principal.h"

#include <Poco/Logger.h>
#include <Poco/Net/PollSet.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/Timespan.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace comfygate::comfyproxy {

/// Every proxied WebSocket, over ONE upstream ComfyUI socket shared by all clients.
///
/// ComfyUI writes each broadcast to every socket it holds, so a socket per client made it
/// write every `status` 2,000 times for 2,000 clients. The gateway instead holds one socket
/// under a sid of its own (the `client_id` of every prompt it submits) and routes each frame
/// itself (FrameRouter): to the tab that submitted the prompt, to the user's tabs, to everyone.
/// The upstream socket is opened by the first client (requireUpstream(): ComfyUI unreachable →
/// 502 for that client) and from then on kept open: when ComfyUI goes away the clients stay
/// connected and hear nothing until it is back, while a thread of the hub reconnects with
/// backoff (Settings::firstRetry doubled up to maxRetry); ComfyUI's first `status` after the
/// reconnect reaches every client (with its own sid and queue count).
///
/// The hub plays ComfyUI's part towards its clients: the first `status` frame (sid = the
/// client's clientId), the `feature_flags` answer (ComfyUI's answer to the gateway's own
/// negotiation, which asks for metadata previews so that every preview names its prompt),
/// take-over (the newest socket of a (user, clientId) gets ComfyUI's frames, the older one
/// only kernel events) and the `logs` subscriptions by clientId.
///
/// No thread per socket: one reader thread waits on all sockets with epoll
/// (Poco::Net::PollSet); a ready socket leaves the set while a worker of a small pool reads
/// its frames (so a half-sent frame holds up one worker for at most the receive timeout,
/// never the reader), then rejoins it. Frames for a client go through its bounded
/// OutboundQueue and are written with a send timeout, so a slow client only ever delays
/// itself; when its queue overflows with JSON it is closed with 1008. A frame for a few
/// clients (a prompt's events) is written by the worker that read it; one for many (a status
/// broadcast) by a writer thread of its own, so thousands of writes never hold up the events
/// behind it.
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
        std::chrono::milliseconds firstRetry{250}; ///< first reconnect after ComfyUI's socket closed
        std::chrono::milliseconds maxRetry{10000}; ///< the retry delay doubles up to this
        /// false with several ComfyUI hosts: the hub opens no socket of its own; each host's
        /// HostMonitor holds one and hands its frames to deliverHostFrame().
        bool ownUpstream = true;
    };

    WebSocketHub(Settings settings, std::string gatewaySid, UpstreamConnector connector, FrameRouter& router,
                 Metrics& metrics, Poco::Logger& logger);
    ~WebSocketHub();
    WebSocketHub(const WebSocketHub&) = delete;
    WebSocketHub& operator=(const WebSocketHub&) = delete;

    /// `onUpstreamOpen` runs (on a thread of the hub or of a connecting client) each time the
    /// upstream socket opens, e.g. to renew ComfyUI's logs subscription of the gateway's sid.
    void start(std::function<void()> onUpstreamOpen = {});
    /// Closes every connection (1001 to clients) and the upstream socket; idempotent.
    void stop();

    /// The sid ComfyUI knows the gateway's socket by.
    const std::string& gatewaySid() const { return _gatewaySid; }

    /// Makes sure the upstream socket is open, opening it now if it is not; throws HttpError
    /// 502 when ComfyUI cannot be reached.
    void requireUpstream();
    /// Wants the upstream socket open from now on, with or without clients: the reconnect
    /// thread opens it in the background (and reopens it whenever ComfyUI closes it), so the
    /// gateway hears every prompt finish (execution_success for the `event` hook).
    void openUpstreamInBackground();

    /// How many kernel events have been published so far: taken before the handshake, so that
    /// `attach` can send what was published while the 101 answer was on its way.
    std::uint64_t publishedMark() const;

    /// Takes over an upgraded client socket and sends it its first `status` frame, then the
    /// kernel events of its audience published since `mark` (none is lost to the handshake).
    void attach(Poco::Net::WebSocket client, const Principal& principal, const std::string& clientId,
                std::uint64_t mark);

    /// A frame from one of several ComfyUI hosts (or one the gateway writes in a host's name,
    /// e.g. the execution_error of a prompt lost with its host), routed like the frames of the
    /// hub's own upstream socket.
    void deliverHostFrame(const std::string& payload, bool binary);

    /// A kernel event: sent as `{"type","data"}` to the open sockets of its audience. Never blocks.
    void publish(const Event& event);

    /// Starts or stops ComfyUI's `logs` events for the user's socket `clientId`; true while
    /// any socket is subscribed (then the gateway's sid must be subscribed upstream).
    bool subscribeLogs(const std::string& userId, const std::string& clientId, bool enabled);
    bool hasLogSubscribers() const;

private:
    struct Client;
    using ClientPtr = std::shared_ptr<Client>;
    struct Upstream;
    using UpstreamPtr = std::shared_ptr<Upstream>;
    /// A socket in the poll set: a client's or the upstream one.
    struct Watch
    {
        ClientPtr client;
        UpstreamPtr upstream;
    };
    using TabKey = std::pair<std::string, std::string>; ///< (user id, clientId)

    void pollLoop();
    /// The reconnect thread: reopens the upstream socket, with backoff, whenever it is wanted and closed.
    void keepUpstreamOpen();
    /// Opens and installs the upstream socket unless one is open; throws HttpError 502.
    void openUpstream();
    void upstreamLost(const UpstreamPtr& upstream);

    void watch(const Watch& watch);
    /// watch(), or a read now when the handshake left bytes in Poco's buffer (invisible to epoll).
    void watchOrRead(const Watch& target);
    void unwatchLocked(const Poco::Net::Socket& socket);
    void readFrom(const Watch& watch);
    /// Reads and handles one frame; false when this socket is finished.
    bool readClientFrame(const ClientPtr& client);
    bool readUpstreamFrame(const UpstreamPtr& upstream);
    /// ComfyUI's rule: only a client's first text message counts, when it is feature_flags.
    void negotiateFeatures(const ClientPtr& client, const char* data, std::size_t size);
    /// False when the socket did not take the frame.
    bool sendUpstream(const UpstreamPtr& upstream, const std::string& payload, int flags);

    /// Sends an upstream frame to the clients the router chose.
    void deliver(const FrameRouter::Delivery& delivery, const std::string& payload, bool binary,
                 FrameRouter::Clock::time_point receivedAt);
    std::vector<ClientPtr> recipientsLocked(const FrameRouter::Delivery& delivery) const;
    void relayServerFeatures(const std::string& payload);

    /// Who writes a queued frame to its client.
    enum class Writer
    {
        Pool,       ///< a worker of the pool
        ThisWorker, ///< the calling worker, when the frame is small and the socket has room (else the pool)
        Broadcast   ///< the broadcast writer: one thread, so thousands of writes never starve the rest
    };
    /// Queues a frame for the client (never blocks unless `writer` is ThisWorker).
    void enqueue(const ClientPtr& client, OutboundQueue::Frame frame, Writer writer = Writer::Pool);
    static bool writable(Poco::Net::WebSocket& socket);
    void flush(const ClientPtr& client);
    /// Ends a client connection with a close frame.
    void close(const ClientPtr& client, int code, const std::string& reason);
    static OutboundQueue::Frame closeFrame(int code, const std::string& reason);

    Settings _settings;
    const std::string _gatewaySid;
    UpstreamConnector _connector;
    FrameRouter& _router;
    Metrics& _metrics;
    Poco::Logger& _logger;
    WorkerPool _workers;
    WorkerPool _broadcastWriter{1};
    std::function<void()> _onUpstreamOpen;

    mutable std::mutex _mutex; ///< everything below, and each client's `active`
    std::condition_variable _watchedChanged;
    std::condition_variable _upstreamChanged;
    Poco::Net::PollSet _pollSet;
    std::map<Poco::Net::Socket, Watch> _watched;
    std::set<ClientPtr> _clients;          ///< open client sockets
    std::map<TabKey, ClientPtr> _tabs;     ///< the newest socket of each tab: the one ComfyUI's frames reach
    std::set<TabKey> _logSubscribers;      ///< tabs subscribed to `logs`
    std::vector<ClientPtr> _awaitingFeatures; ///< asked for feature_flags before ComfyUI's answer was known
    std::string _serverFeatures;           ///< ComfyUI's feature_flags frame, answered to clients
    struct PublishedEvent
    {
        std::uint64_t number;
        Audience audience;
        std::string frame;
    };
    std::deque<PublishedEvent> _recentEvents; ///< the last few, for sockets still in their handshake
    std::uint64_t _published = 0;            ///< events published so far
    UpstreamPtr _upstream;                 ///< null while closed
    bool _upstreamWanted = false;          ///< a client asked for it: keep it open from now on
    bool _stopping = false;
    std::atomic<bool> _running{false};
    std::thread _reader;
    std::thread _reconnector;

    std::mutex _connectMutex; ///< one attempt to open the upstream socket at a time
};

} // namespace comfygate::comfyproxy
