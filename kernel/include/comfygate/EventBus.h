#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace comfygate {

struct Principal;

/// Who receives an event.
struct Audience
{
    enum class Kind
    {
        User,
        Role,
        Everyone
    };
    Kind kind = Kind::Everyone;
    std::string value; ///< user id or role name

    static Audience user(std::string userId) { return {Kind::User, std::move(userId)}; }
    static Audience role(std::string role) { return {Kind::Role, std::move(role)}; }
    static Audience everyone() { return {Kind::Everyone, {}}; }

    /// True when a connection authenticated as `principal` should receive the event.
    bool includes(const Principal& principal) const;
};

struct Event
{
    std::string type;     ///< e.g. "download_progress"
    std::string jsonData; ///< the event's `data` member, a JSON text
    Audience audience;
};

/// In-process publish/subscribe. Subscribers (WebSocket endpoints) get every event and
/// deliver it to the connections its audience includes. Callbacks run on the publisher's
/// thread and must not block; they must not throw.
class EventBus
{
public:
    using SubscriptionId = std::uint64_t;
    using Subscriber = std::function<void(const Event&)>;

    virtual ~EventBus() = default;

    virtual void publish(const Event& event) = 0;
    virtual SubscriptionId subscribe(Subscriber subscriber) = 0;
    virtual void unsubscribe(SubscriptionId id) = 0;
};

} // namespace comfygate
