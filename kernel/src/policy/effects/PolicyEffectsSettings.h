#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace comfygate {

class Configuration;

/// One notification channel, `policy.channels.<name>.*` (operator configuration: scripts
/// name a channel, never a URL).
struct NotificationChannelSettings
{
    std::string name;
    std::string type;   ///< webhook, ntfy or log
    std::string url;    ///< webhook and ntfy
    std::string secret; ///< webhook: signs the body (X-Comfygate-Signature)
    std::string token;  ///< ntfy: sent as `Authorization: Bearer <token>`
};

/// The configuration of the live policy effects (etc/comfygate.properties, `policy.*`).
struct PolicyEffectsSettings
{
    std::size_t kvMaxValueBytes = 4096;  ///< policy.kv.max_value_bytes (JSON text)
    std::size_t kvMaxKeysPerUser = 100;  ///< policy.kv.max_keys_per_user
    std::chrono::seconds counterSweepInterval{60}; ///< policy.counter_sweep_seconds

    std::vector<std::string> httpAllowHosts;         ///< policy.http.allow_hosts
    std::chrono::milliseconds httpTimeout{5000};     ///< policy.http.timeout_ms
    std::uint64_t httpMaxResponseBytes = 1048576;    ///< policy.http.max_response_bytes

    std::map<std::string, NotificationChannelSettings> channels;
    std::chrono::milliseconds notifyInterval{1000};     ///< policy.notify.interval_ms
    std::chrono::milliseconds notifyTimeout{10000};     ///< policy.notify.timeout_ms
    int notifyMaxAttempts = 8;                          ///< policy.notify.max_attempts
    std::chrono::milliseconds notifyRetryBase{2000};    ///< policy.notify.retry_base_ms
    std::chrono::milliseconds notifyRetryMax{3600000};  ///< policy.notify.retry_max_ms

    /// Reads and checks the keys; throws std::invalid_argument naming the key on a bad value
    /// (a channel without url, an unknown type, a non-HTTP URL).
    static PolicyEffectsSettings read(const Configuration& config);
};

} // namespace comfygate
