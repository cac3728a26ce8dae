#include "SimulatedPolicyEffects.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <chrono>

namespace comfygate {

SimulatedPolicyEffects::SimulatedPolicyEffects(PolicyEffectsSettings caps, std::shared_ptr<PolicyEffects> readThrough)
    : _caps(std::move(caps)), _readThrough(std::move(readThrough))
{
}

void SimulatedPolicyEffects::setTime(std::int64_t epochSeconds)
{
    std::lock_guard lock(_mutex);
    _clock = epochSeconds;
}

void SimulatedPolicyEffects::advance(std::int64_t seconds)
{
    std::lock_guard lock(_mutex);
    _clock = nowLocked() + seconds;
}

void SimulatedPolicyEffects::stubHttp(const std::string& urlPrefix, HttpAnswer answer)
{
    std::lock_guard lock(_mutex);
    _stubs[urlPrefix] = std::move(answer);
}

std::vector<SimulatedPolicyEffects::Notification> SimulatedPolicyEffects::notifications() const
{
    std::lock_guard lock(_mutex);
    return _notifications;
}

std::vector<SimulatedPolicyEffects::Tagging> SimulatedPolicyEffects::tags() const
{
    std::lock_guard lock(_mutex);
    return _tags;
}

std::vector<PolicyEffects::HttpCall> SimulatedPolicyEffects::httpCalls() const
{
    std::lock_guard lock(_mutex);
    return _httpCalls;
}

std::vector<SimulatedPolicyEffects::CounterChange> SimulatedPolicyEffects::counterChanges() const
{
    std::lock_guard lock(_mutex);
    return _counterChanges;
}

Poco::JSON::Object::Ptr SimulatedPolicyEffects::recordJson() const
{
    std::lock_guard lock(_mutex);
    Poco::JSON::Array::Ptr notifications = new Poco::JSON::Array;
    for (const auto& notification : _notifications) {
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object;
        entry->set("channel", notification.channel);
        entry->set("message", notification.message);
        entry->set("fields", Poco::JSON::Parser().parse(notification.fieldsJson));
        notifications->add(entry);
    }
    Poco::JSON::Array::Ptr tags = new Poco::JSON::Array;
    for (const auto& tagging : _tags) {
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object;
        entry->set("filename", tagging.filename);
        entry->set("subfolder", tagging.subfolder);
        entry->set("type", tagging.type);
        Poco::JSON::Array::Ptr names = new Poco::JSON::Array;
        for (const auto& name : tagging.tags)
            names->add(name);
        entry->set("tags", names);
        tags->add(entry);
    }
    Poco::JSON::Array::Ptr calls = new Poco::JSON::Array;
    for (const auto& call : _httpCalls) {
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object;
        entry->set("method", call.method);
        entry->set("url", call.url);
        Poco::JSON::Object::Ptr headers = new Poco::JSON::Object;
        for (const auto& [name, value] : call.headers)
            headers->set(name, value);
        entry->set("headers", headers);
        entry->set("body", call.body);
        calls->add(entry);
    }
    Poco::JSON::Array::Ptr counters = new Poco::JSON::Array;
    for (const auto& change : _counterChanges) {
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object;
        entry->set("name", change.name);
        entry->set("key", change.key);
        entry->set("before", change.before);
        entry->set("after", change.after);
        counters->add(entry);
    }
    Poco::JSON::Object::Ptr record = new Poco::JSON::Object;
    record->set("notifications", notifications);
    record->set("tags", tags);
    record->set("http_calls", calls);
    record->set("counters", counters);
    return record;
}

void SimulatedPolicyEffects::reset()
{
    std::lock_guard lock(_mutex);
    _counters.clear();
    _kv.clear();
    _notifications.clear();
    _tags.clear();
    _httpCalls.clear();
    _counterChanges.clear();
}

std::int64_t SimulatedPolicyEffects::now()
{
    std::lock_guard lock(_mutex);
    return nowLocked();
}

std::int64_t SimulatedPolicyEffects::nowLocked()
{
    if (_clock)
        return *_clock;
    if (_readThrough)
        return _readThrough->now();
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t SimulatedPolicyEffects::counterValueLocked(const Key& key)
{
    const auto found = _counters.find(key);
    if (found == _counters.end())
        return _readThrough ? _readThrough->counterGet(key.first, key.second) : 0;
    if (found->second.expiresAt <= nowLocked())
        return 0;
    return found->second.value;
}

std::int64_t SimulatedPolicyEffects::counterIncrement(const std::string& name, const std::string& key, std::int64_t by,
                                                      std::int64_t ttlSeconds)
{
    std::lock_guard lock(_mutex);
    const Key id{name, key};
    const std::int64_t before = counterValueLocked(id);
    const std::int64_t now = nowLocked();
    auto& counter = _counters[id];
    // A live counter keeps its expiry; one read through from the live store gets a fresh
    // window here, since the live expiry is not visible through PolicyEffects.
    if (counter.expiresAt <= now)
        counter.expiresAt = now + ttlSeconds;
    counter.value = before + by;
    _counterChanges.push_back({name, key, before, counter.value});
    return counter.value;
}

std::int64_t SimulatedPolicyEffects::counterGet(const std::string& name, const std::string& key)
{
    std::lock_guard lock(_mutex);
    return counterValueLocked({name, key});
}

void SimulatedPolicyEffects::counterReset(const std::string& name, const std::string& key)
{
    std::lock_guard lock(_mutex);
    const Key id{name, key};
    const std::int64_t before = counterValueLocked(id);
    _counters[id] = Counter{};
    _counterChanges.push_back({name, key, before, 0});
}

std::optional<std::string> SimulatedPolicyEffects::kvGet(const std::string& user, const std::string& key)
{
    std::lock_guard lock(_mutex);
    const auto found = _kv.find({user, key});
    if (found != _kv.end())
        return found->second;
    return _readThrough ? _readThrough->kvGet(user, key) : std::nullopt;
}

void SimulatedPolicyEffects::kvSet(const std::string& user, const std::string& key, const std::string& json)
{
    if (json.size() > _caps.kvMaxValueBytes)
        throw PolicyRefusals::kvValueTooLarge(json.size(), _caps.kvMaxValueBytes);
    std::lock_guard lock(_mutex);
    const Key id{user, key};
    const auto found = _kv.find(id);
    if (found == _kv.end() || !found->second) {
        std::size_t keys = 0;
        for (auto it = _kv.lower_bound({user, std::string()}); it != _kv.end() && it->first.first == user; ++it)
            keys += it->second ? 1 : 0;
        if (keys >= _caps.kvMaxKeysPerUser)
            throw PolicyRefusals::kvTooManyKeys(user, _caps.kvMaxKeysPerUser);
    }
    _kv[id] = json;
}

void SimulatedPolicyEffects::kvDelete(const std::string& user, const std::string& key)
{
    std::lock_guard lock(_mutex);
    _kv[{user, key}] = std::nullopt;
}

void SimulatedPolicyEffects::notify(const std::string& channel, const std::string& message,
                                    const std::string& fieldsJson)
{
    if (_knownChannelsOnly && _caps.channels.count(channel) == 0)
        throw PolicyRefusals::unknownChannel(channel);
    std::lock_guard lock(_mutex);
    _notifications.push_back({channel, message, fieldsJson.empty() ? "{}" : fieldsJson});
}

PolicyEffects::HttpAnswer SimulatedPolicyEffects::http(const HttpCall& call)
{
    std::lock_guard lock(_mutex);
    _httpCalls.push_back(call);
    for (const auto& [prefix, answer] : _stubs) {
        if (call.url.compare(0, prefix.size(), prefix) == 0)
            return answer;
    }
    throw PolicyEffectError("policy.http: no stubbed answer for " + call.url +
                            " (HTTP is simulated here; a test stubs it with "
                            "policy.test.stub_http(url_prefix, {status=, body= | json=}))");
}

void SimulatedPolicyEffects::tag(const std::string& filename, const std::string& subfolder, const std::string& type,
                                 const std::vector<std::string>& tags)
{
    std::lock_guard lock(_mutex);
    _tags.push_back({filename, subfolder, type, tags});
}

} // namespace comfygate
