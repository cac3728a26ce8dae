#include "LivePolicyEffects.h"

#include "comfygate/services/OutputTags.h"

#include <Poco/Logger.h>

#include <chrono>
#include <stdexcept>

namespace comfygate {

LivePolicyEffects::LivePolicyEffects(Database& database, HttpClient& client, ServiceRegistry& services,
                                     const PolicyEffectsSettings& settings, std::function<std::int64_t()> clockMs)
    : _database(database), _services(services), _kvMaxValueBytes(settings.kvMaxValueBytes),
      _kvMaxKeysPerUser(settings.kvMaxKeysPerUser), _sweepInterval(settings.counterSweepInterval),
      _clockMs(std::move(clockMs)), _outbox(database, client, settings, _clockMs),
      _http(client, settings.httpAllowHosts, settings.httpTimeout, settings.httpMaxResponseBytes)
{
}

std::int64_t LivePolicyEffects::systemClockMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void LivePolicyEffects::start(Scheduler& scheduler)
{
    _scheduler = &scheduler;
    _sweeper = scheduler.every(_sweepInterval, [this] {
        try {
            sweepExpiredCounters();
        } catch (const std::exception& e) {
            Poco::Logger::get("policy").error("sweeping expired policy counters failed: %s", std::string(e.what()));
        }
    });
    _outbox.start(scheduler);
}

void LivePolicyEffects::stop()
{
    if (_scheduler)
        _scheduler->cancel(_sweeper);
    _scheduler = nullptr;
    _outbox.stop();
}

std::int64_t LivePolicyEffects::now()
{
    return _clockMs() / 1000;
}

std::int64_t LivePolicyEffects::counterIncrement(const std::string& name, const std::string& key, std::int64_t by,
                                                 std::int64_t ttlSeconds)
{
    const Poco::Int64 now = this->now();
    // One statement: the row lock (PostgreSQL) or the write lock (SQLite) makes the read of
    // the old value and the write of the new one a unit, for every instance on the database.
    const std::string sql =
        "INSERT INTO policy_counters (name, counter_key, value, expires_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name, counter_key) DO UPDATE SET "
        "value = CASE WHEN policy_counters.expires_at <= ? THEN excluded.value "
        "ELSE policy_counters.value + excluded.value END, "
        "expires_at = CASE WHEN policy_counters.expires_at <= ? THEN excluded.expires_at "
        "ELSE policy_counters.expires_at END "
        "RETURNING value";
    std::vector<Database::Row> rows;
    _database.write([&](Poco::Data::Session&) {
        rows = _database.select(sql, {name, key, Poco::Int64(by), Poco::Int64(now + ttlSeconds), now, now});
    });
    if (rows.empty())
        throw std::runtime_error("the counter upsert returned no row");
    return rows[0][0].convert<Poco::Int64>();
}

std::int64_t LivePolicyEffects::counterGet(const std::string& name, const std::string& key)
{
    const auto rows = _database.select(
        "SELECT value FROM policy_counters WHERE name = ? AND counter_key = ? AND expires_at > ?",
        {name, key, Poco::Int64(now())});
    return rows.empty() ? 0 : rows[0][0].convert<Poco::Int64>();
}

void LivePolicyEffects::counterReset(const std::string& name, const std::string& key)
{
    _database.execute("DELETE FROM policy_counters WHERE name = ? AND counter_key = ?", {name, key});
}

std::int64_t LivePolicyEffects::sweepExpiredCounters()
{
    return _database.execute("DELETE FROM policy_counters WHERE expires_at <= ?", {Poco::Int64(now())});
}

std::optional<std::string> LivePolicyEffects::kvGet(const std::string& user, const std::string& key)
{
    const auto rows = _database.select("SELECT value FROM policy_kv WHERE user_id = ? AND kv_key = ?", {user, key});
    if (rows.empty())
        return std::nullopt;
    return rows[0][0].convert<std::string>();
}

void LivePolicyEffects::kvSet(const std::string& user, const std::string& key, const std::string& json)
{
    if (json.size() > _kvMaxValueBytes)
        throw PolicyRefusals::kvValueTooLarge(json.size(), _kvMaxValueBytes);
    // The cap is checked in the inserting statement itself; replacing an existing key is
    // always allowed.
    const std::string sql =
        "INSERT INTO policy_kv (user_id, kv_key, value, updated_at) "
        "SELECT CAST(? AS VARCHAR(256)), CAST(? AS VARCHAR(256)), CAST(? AS TEXT), CAST(? AS BIGINT) "
        "WHERE (SELECT COUNT(*) FROM policy_kv WHERE user_id = ?) < CAST(? AS BIGINT) "
        "OR EXISTS (SELECT 1 FROM policy_kv WHERE user_id = ? AND kv_key = ?) "
        "ON CONFLICT (user_id, kv_key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
    const auto changed = _database.execute(sql, {user, key, json, Poco::Int64(now()), user,
                                                 Poco::Int64(_kvMaxKeysPerUser), user, key});
    if (changed == 0)
        throw PolicyRefusals::kvTooManyKeys(user, _kvMaxKeysPerUser);
}

void LivePolicyEffects::kvDelete(const std::string& user, const std::string& key)
{
    _database.execute("DELETE FROM policy_kv WHERE user_id = ? AND kv_key = ?", {user, key});
}

void LivePolicyEffects::notify(const std::string& channel, const std::string& message, const std::string& fieldsJson)
{
    _outbox.enqueue(channel, message, fieldsJson);
}

PolicyEffects::HttpAnswer LivePolicyEffects::http(const HttpCall& call)
{
    return _http.perform(call);
}

void LivePolicyEffects::tag(const std::string& filename, const std::string& subfolder, const std::string& type,
                            const std::vector<std::string>& tags)
{
    const auto store = _services.find<services::OutputTags>(services::OutputTags::serviceName);
    if (!store)
        throw PolicyEffectError(std::string("policy.tag: no output tag store; the comfy-proxy module publishes ") +
                                services::OutputTags::serviceName + " (is it enabled?)");
    try {
        store->tag(filename, subfolder, type, tags);
    } catch (const std::invalid_argument& e) {
        throw PolicyEffectError(std::string("policy.tag: ") + e.what());
    }
}

} // namespace comfygate
