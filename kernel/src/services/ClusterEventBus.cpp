#include "ClusterEventBus.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace comfygate {

namespace {

// True on the notification thread while it delivers another instance's event.
thread_local bool deliveringRemoteEvent = false;

std::string kindName(Audience::Kind kind)
{
    switch (kind) {
    case Audience::Kind::User:
        return "user";
    case Audience::Kind::Role:
        return "role";
    case Audience::Kind::Everyone:
        break;
    }
    return "everyone";
}

} // namespace

ClusterEventBus::ClusterEventBus(InProcessEventBus& local, const std::string& connection,
                                 std::function<void()> databaseBack) :
    _local(local),
    _notifications(std::make_unique<PostgresNotifications>(
        connection, "comfygate_events", [this](const std::string& payload) { onRemote(payload); },
        std::move(databaseBack))),
    _logger(Poco::Logger::get("events"))
{
}

ClusterEventBus::~ClusterEventBus()
{
    stop();
}

void ClusterEventBus::start()
{
    _notifications->start();
}

void ClusterEventBus::stop()
{
    _notifications->stop();
}

void ClusterEventBus::publish(const Event& event)
{
    _local.publish(event);
    if (!deliveringRemoteEvent)
        _notifications->send(encode(event));
}

EventBus::SubscriptionId ClusterEventBus::subscribe(Subscriber subscriber)
{
    return _local.subscribe(std::move(subscriber));
}

void ClusterEventBus::unsubscribe(SubscriptionId id)
{
    _local.unsubscribe(id);
}

std::string ClusterEventBus::encode(const Event& event)
{
    Poco::JSON::Object object;
    object.set("type", event.type);
    object.set("data", event.jsonData);
    object.set("audience", kindName(event.audience.kind));
    object.set("to", event.audience.value);
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

std::optional<Event> ClusterEventBus::decode(const std::string& payload)
{
    try {
        const auto object = Poco::JSON::Parser().parse(payload).extract<Poco::JSON::Object::Ptr>();
        if (!object || !object->has("type") || !object->has("data"))
            return std::nullopt;
        Event event;
        event.type = object->getValue<std::string>("type");
        event.jsonData = object->getValue<std::string>("data");
        const std::string kind = object->optValue<std::string>("audience", "everyone");
        const std::string to = object->optValue<std::string>("to", "");
        if (kind == "user")
            event.audience = Audience::user(to);
        else if (kind == "role")
            event.audience = Audience::role(to);
        else if (kind == "everyone")
            event.audience = Audience::everyone();
        else
            return std::nullopt;
        return event;
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

void ClusterEventBus::onRemote(const std::string& payload)
{
    const auto event = decode(payload);
    if (!event) {
        _logger.warning("ignored a notification on comfygate_events that is not an event");
        return;
    }
    deliveringRemoteEvent = true;
    try {
        _local.publish(*event);
    } catch (...) {
        deliveringRemoteEvent = false;
        throw;
    }
    deliveringRemoteEvent = false;
}

} // namespace comfygate
