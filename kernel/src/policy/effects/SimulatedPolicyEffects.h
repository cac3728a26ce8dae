#pragma once

#include "PolicyEffects.h"
#include "PolicyEffectsSettings.h"

#include <Poco/JSON/Object.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace comfygate {

/// PolicyEffects in memory, for what must not touch the world: `comfygate policy test`,
/// the return check of `policy check` and the dry-run route.
///
/// Counters expire against a clock that a test can set and advance; kv values have the live
/// caps (policy.kv.max_value_bytes, policy.kv.max_keys_per_user); notifications and tags
/// are recorded (to any channel, unless refuseUnknownChannels()); HTTP calls are recorded and answered from
/// stubs (a URL without a stub is a PolicyEffectError naming it). Nothing leaves the process.
///
/// With a `readThrough` (the server's live effects) counter and kv *reads* of keys this
/// object has not written fall through to it, so a dry run sees a user's real quota; every
/// write stays here. The clock then starts from the live clock.
class SimulatedPolicyEffects : public PolicyEffects
{
public:
    struct Notification
    {
        std::string channel;
        std::string message;
        std::string fieldsJson; ///< a JSON object text
    };
    struct Tagging
    {
        std::string filename;
        std::string subfolder;
        std::string type;
        std::vector<std::string> tags;
    };
    /// One counter write: the value before and after (after = 0 for a reset).
    struct CounterChange
    {
        std::string name;
        std::string key;
        std::int64_t before = 0;
        std::int64_t after = 0;
    };

    /// `caps`: the kv caps and the channels of the live configuration.
    explicit SimulatedPolicyEffects(PolicyEffectsSettings caps = {},
                                    std::shared_ptr<PolicyEffects> readThrough = nullptr);

    /// Refuses notifications to a channel `caps` does not configure, as the live outbox
    /// does (the dry run); policy tests run without the server's channels and accept any.
    void refuseUnknownChannels() { _knownChannelsOnly = true; }

    /// Fixes the clock at `epochSeconds`; advance() moves it on. Until set, the clock is the
    /// live one (read-through) or the system clock.
    void setTime(std::int64_t epochSeconds);
    void advance(std::int64_t seconds);

    /// Answers every call whose URL starts with `urlPrefix` (the longest prefix wins).
    void stubHttp(const std::string& urlPrefix, HttpAnswer answer);

    std::vector<Notification> notifications() const;
    std::vector<Tagging> tags() const;
    std::vector<HttpCall> httpCalls() const;
    std::vector<CounterChange> counterChanges() const;

    /// What happened, as JSON: {notifications: [{channel, message, fields}], tags:
    /// [{filename, subfolder, type, tags}], http_calls: [{method, url, headers, body}],
    /// counters: [{name, key, before, after}]} (what policy.test and the dry-run show).
    Poco::JSON::Object::Ptr recordJson() const;

    /// Forgets counters, kv values, notifications, tags, HTTP calls and counter changes;
    /// keeps the clock and the HTTP stubs.
    void reset();

    std::int64_t now() override;
    std::int64_t counterIncrement(const std::string& name, const std::string& key, std::int64_t by,
                                  std::int64_t ttlSeconds) override;
    std::int64_t counterGet(const std::string& name, const std::string& key) override;
    void counterReset(const std::string& name, const std::string& key) override;
    std::optional<std::string> kvGet(const std::string& user, const std::string& key) override;
    void kvSet(const std::string& user, const std::string& key, const std::string& json) override;
    void kvDelete(const std::string& user, const std::string& key) override;
    void notify(const std::string& channel, const std::string& message, const std::string& fieldsJson) override;
    HttpAnswer http(const HttpCall& call) override;
    void tag(const std::string& filename, const std::string& subfolder, const std::string& type,
             const std::vector<std::string>& tags) override;

private:
    using Key = std::pair<std::string, std::string>;
    struct Counter
    {
        std::int64_t value = 0;
        std::int64_t expiresAt = 0; ///< 0: reset here (reads 0, no read-through)
    };

    std::int64_t nowLocked();
    std::int64_t counterValueLocked(const Key& key);

    const PolicyEffectsSettings _caps;
    const std::shared_ptr<PolicyEffects> _readThrough;
    bool _knownChannelsOnly = false;
    mutable std::mutex _mutex;
    std::optional<std::int64_t> _clock;
    std::map<Key, Counter> _counters;
    /// (user, key) to JSON text; nullopt: deleted here (no read-through).
    std::map<Key, std::optional<std::string>> _kv;
    std::map<std::string, HttpAnswer, std::greater<>> _stubs; // longest prefix first
    std::vector<Notification> _notifications;
    std::vector<Tagging> _tags;
    std::vector<HttpCall> _httpCalls;
    std::vector<CounterChange> _counterChanges;
};

} // namespace comfygate
