#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/PollSet.h>
#include <Poco/Net/WebSocket.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace comfygate::fakes {

/// ComfyUI's `sockets` registry: sid → socket with take-over semantics, per-sid feature flags,
/// targeted and broadcast sends. After the handshake a socket is handed over here; one reader
/// thread waits on all of them with epoll (Poco::Net::PollSet), so idle sockets cost no thread.
class SocketHub
{
public:
    /// `serverFeatures` is the object replied to a client's feature_flags message.
    explicit SocketHub(std::function<Poco::JSON::Object::Ptr()> serverFeatures);
    ~SocketHub();
    SocketHub(const SocketHub&) = delete;
    SocketHub& operator=(const SocketHub&) = delete;

    void start();
    /// Stops the reader and closes every socket.
    void stop();

    /// Registers an upgraded socket under `sid` (an existing owner of the sid is dropped from
    /// the registry without being closed) and sends `firstFrames` (JSON texts) to it.
    void attach(Poco::Net::WebSocket socket, const std::string& sid, const std::vector<std::string>& firstFrames);

    /// Sends a `{"type","data"}` text frame to the socket registered for `sid` (nothing if none).
    void sendJson(const std::string& sid, const std::string& type, const Poco::JSON::Object::Ptr& data);
    /// Sends a `{"type","data"}` text frame to every registered socket.
    void broadcastJson(const std::string& type, const Poco::JSON::Object::Ptr& data);
    void sendBinary(const std::string& sid, const std::string& frame);
    void broadcastBinary(const std::string& frame);

    /// True when the sid's first message was feature_flags with supports_preview_metadata.
    bool supportsPreviewMetadata(const std::string& sid) const;
    /// Sockets still open (registered or taken over).
    std::size_t openSockets() const;
    /// Currently registered sids.
    std::vector<std::string> sids() const;

private:
    struct Client
    {
        explicit Client(Poco::Net::WebSocket s, std::string id) : socket(std::move(s)), sid(std::move(id)) {}
        Poco::Net::WebSocket socket;
        std::string sid;
        std::mutex sendMutex;
        bool firstMessageSeen = false;
        std::atomic<bool> closed{false};
    };
    using ClientPtr = std::shared_ptr<Client>;

    void readLoop();
    void readFrom(const ClientPtr& client);
    void close(const ClientPtr& client);
    void send(const ClientPtr& client, const std::string& payload, int flags);
    static std::string envelope(const std::string& type, const Poco::JSON::Object::Ptr& data);

    std::function<Poco::JSON::Object::Ptr()> _serverFeatures;
    mutable std::mutex _mutex;
    std::map<std::string, ClientPtr> _registry;
    std::map<Poco::Net::Socket, ClientPtr> _open;
    Poco::Net::PollSet _pollSet;
    std::map<std::string, Poco::JSON::Object::Ptr> _clientFlags;
    std::atomic<bool> _running{false};
    std::thread _reader;
};

} // namespace comfygate::fakes
