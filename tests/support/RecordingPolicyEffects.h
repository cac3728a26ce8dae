#pragma once

#include "PolicyEffects.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

namespace comfygate::test {

/// PolicyEffects in memory for unit tests of the Lua bindings: a settable clock, counters
/// with expiry on that clock, kv, and records of notify/http/tag calls. `knownChannels`
/// decides which notify channels exist; `httpAnswer` is what every http call answers;
/// `failWith` makes every effect throw std::runtime_error (a database failure, say).
class RecordingPolicyEffects : public PolicyEffects
{
public:
    struct Notification
    {
        std::string channel, message, fieldsJson;
    };
    struct Tagging
    {
        std::string filename, subfolder, type;
        std::vector<std::string> tags;
    };

    std::int64_t clock = 1'700'000'000;
    std::vector<std::string> knownChannels{"ops"};
    HttpAnswer httpAnswer{200, "application/json", R"({"ok":true})"};
    std::string failWith;

    std::vector<Notification> notifications;
    std::vector<HttpCall> httpCalls;
    std::vector<Tagging> taggings;
    std::map<std::pair<std::string, std::string>, std::string> kv;

    std::int64_t now() override
    {
        check();
        return clock;
    }

    std::int64_t counterIncrement(const std::string& name, const std::string& key, std::int64_t by,
                                  std::int64_t ttlSeconds) override
    {
        std::lock_guard lock(_mutex);
        check();
        auto& counter = _counters[{name, key}];
        if (counter.second <= clock)
            counter = {0, clock + ttlSeconds};
        counter.first += by;
        return counter.first;
    }
    std::int64_t counterGet(const std::string& name, const std::string& key) override
    {
        std::lock_guard lock(_mutex);
        check();
        const auto found = _counters.find({name, key});
        return found == _counters.end() || found->second.second <= clock ? 0 : found->second.first;
    }
    void counterReset(const std::string& name, const std::string& key) override
    {
        std::lock_guard lock(_mutex);
        check();
        _counters.erase({name, key});
    }

    std::optional<std::string> kvGet(const std::string& user, const std::string& key) override
    {
        std::lock_guard lock(_mutex);
        check();
        const auto found = kv.find({user, key});
        if (found == kv.end())
            return std::nullopt;
        return found->second;
    }
    void kvSet(const std::string& user, const std::string& key, const std::string& json) override
    {
        std::lock_guard lock(_mutex);
        check();
        if (json.size() > 64)
            throw PolicyEffectError("policy.kv.set: the value is " + std::to_string(json.size()) +
                                    " bytes as JSON; the limit is 64");
        kv[{user, key}] = json;
    }
    void kvDelete(const std::string& user, const std::string& key) override
    {
        std::lock_guard lock(_mutex);
        check();
        kv.erase({user, key});
    }

    void notify(const std::string& channel, const std::string& message, const std::string& fieldsJson) override
    {
        std::lock_guard lock(_mutex);
        check();
        if (std::find(knownChannels.begin(), knownChannels.end(), channel) == knownChannels.end())
            throw PolicyEffectError("policy.notify: no channel '" + channel + "'; configure policy.channels." +
                                    channel + ".url");
        notifications.push_back({channel, message, fieldsJson});
    }

    HttpAnswer http(const HttpCall& call) override
    {
        std::lock_guard lock(_mutex);
        check();
        httpCalls.push_back(call);
        return httpAnswer;
    }

    void tag(const std::string& filename, const std::string& subfolder, const std::string& type,
             const std::vector<std::string>& tags) override
    {
        std::lock_guard lock(_mutex);
        check();
        taggings.push_back({filename, subfolder, type, tags});
    }

private:
    void check() const
    {
        if (!failWith.empty())
            throw std::runtime_error(failWith);
    }

    std::mutex _mutex;
    std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, std::int64_t>> _counters;
};

} // namespace comfygate::test
