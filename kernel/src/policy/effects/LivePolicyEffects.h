#pragma once

#include "NotificationOutbox.h"
#include "PolicyEffects.h"
#include "PolicyEffectsSettings.h"
#include "PolicyHttpGateway.h"

#include "comfygate/Database.h"
#include "comfygate/HttpClient.h"
#include "comfygate/Scheduler.h"
#include "comfygate/ServiceRegistry.h"

#include <cstdint>
#include <functional>

namespace comfygate {

/// The server's PolicyEffects: counters and kv in the kernel's tables (`policy_counters`,
/// `policy_kv`, shared by every instance on one database), notifications through the durable
/// NotificationOutbox, policy.http through PolicyHttpGateway, tags through comfy-proxy's
/// "comfy.output_tags" service (looked up on each call, so the order modules start in does
/// not matter).
///
/// A counter increment is one statement (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), so
/// concurrent increments from any number of threads and instances never lose a count. Expired
/// counters read as 0 and restart on the next increment; a sweeper deletes them every
/// policy.counter_sweep_seconds. A kv value is capped at policy.kv.max_value_bytes of JSON and
/// a user at policy.kv.max_keys_per_user keys (checked in the inserting statement).
class LivePolicyEffects : public PolicyEffects
{
public:
    /// `clockMs`: Unix milliseconds (tests pass a settable one).
    LivePolicyEffects(Database& database, HttpClient& client, ServiceRegistry& services,
                      const PolicyEffectsSettings& settings, std::function<std::int64_t()> clockMs = systemClockMs);

    /// Starts the counter sweeper and the notification sender on the scheduler.
    void start(Scheduler& scheduler);
    /// Stops both (before the scheduler or this object goes).
    void stop();

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

    /// Deletes expired counters; returns how many.
    std::int64_t sweepExpiredCounters();

    NotificationOutbox& outbox() { return _outbox; }

    static std::int64_t systemClockMs();

private:
    Database& _database;
    ServiceRegistry& _services;
    std::size_t _kvMaxValueBytes;
    std::size_t _kvMaxKeysPerUser;
    std::chrono::seconds _sweepInterval;
    std::function<std::int64_t()> _clockMs;
    NotificationOutbox _outbox;
    PolicyHttpGateway _http;
    Scheduler* _scheduler = nullptr;
    Scheduler::TimerId _sweeper = 0;
};

} // namespace comfygate
