#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace comfygate::comfyproxy {

/// The frames waiting to be sent to one WebSocket client, bounded so that a client that reads
/// slowly (or never) costs a fixed amount of memory. Previews (binary frames) are the first to
/// go; when a JSON event would have to be dropped the caller is told to close the client,
/// since a client that silently misses `executed` or `execution_success` would wait forever.
/// A snapshot (a `status` frame) still unsent when a newer one comes is dropped: the client
/// gets the newer state at its place, and a client behind on broadcasts never piles them up.
/// Not thread-safe: the owning connection locks around it.
class OutboundQueue
{
public:
    struct Frame
    {
        std::string payload;
        int flags = 0;          ///< Poco::Net::WebSocket frame flags (FIN | opcode)
        bool droppable = false; ///< a preview that may be dropped under pressure
        bool control = false;   ///< pong / close: never counted against the limit
        bool snapshot = false;  ///< a state (a `status` frame): a newer one replaces it while unsent
    };

    enum class Result
    {
        Queued,
        PreviewDropped, ///< queued, but a preview (this one or an older one) was dropped
        Overflow        ///< a JSON frame could not be queued: close the client
    };

    explicit OutboundQueue(std::size_t capacity) : _capacity(capacity == 0 ? 1 : capacity) {}

    Result push(Frame frame);
    std::optional<Frame> pop();
    /// Drops everything queued and leaves only `last` (the close frame).
    void replaceWith(Frame last);
    bool empty() const { return _frames.empty(); }
    std::size_t size() const { return _frames.size(); }
    std::uint64_t droppedPreviews() const { return _droppedPreviews; }
    std::uint64_t replacedSnapshots() const { return _replacedSnapshots; }

private:
    std::size_t _capacity;
    std::size_t _counted = 0; ///< queued frames that are not control frames
    std::deque<Frame> _frames;
    std::uint64_t _droppedPreviews = 0;
    std::uint64_t _replacedSnapshots = 0;
};

} // namespace comfygate::comfyproxy
