#pragma once

#include "comfygate/Database.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace comfygate::auth {

/// How failed logins are throttled (`auth.*` configuration).
struct LoginThrottleSettings
{
    /// (failures, lock seconds): reaching a count locks the key for that long; the highest
    /// step reached applies to every later failure.
    std::vector<std::pair<int, int>> steps = {{3, 60}, {6, 90}, {9, 300}};
    /// IP failures after which shouldBlacklist() says yes.
    int blacklistAfter = 10;
    /// How long the caller blacklists such an IP (IpListStore::addToBlacklist()).
    int blacklistSeconds = 86400;
    /// A counter whose last failure is older than this starts over.
    int resetAfterSeconds = 43200;
};

/// Failed-login counters and escalating locks per client IP ("ip:<address>") and per account
/// name ("user:<lower-case name>"), in table login_failures, so that locks survive restarts
/// and hold across instances. Thread safe.
class LoginThrottle
{
public:
    using Settings = LoginThrottleSettings;

    /// Throws std::invalid_argument for steps that are not increasing positive counts with
    /// non-negative seconds, or non-positive limits.
    LoginThrottle(Database& database, Settings settings = {});

    const Settings& settings() const { return _settings; }

    /// Seconds left of the longest active lock on the IP or the name; nullopt when neither
    /// is locked. An empty ip or username is not looked up.
    std::optional<std::int64_t> lockedFor(const std::string& ip, const std::string& username,
                                          std::int64_t now);
    /// Counts one failure against both keys in one write transaction and locks them per the
    /// highest step reached. An existing longer lock is kept.
    void recordFailure(const std::string& ip, const std::string& username, std::int64_t now);
    /// Clears both counters (and their locks).
    void recordSuccess(const std::string& ip, const std::string& username);
    /// The stored failure count of a key ("ip:..." or "user:..."), 0 when none.
    int failures(const std::string& key);
    /// True when the IP's counter has reached Settings::blacklistAfter.
    bool shouldBlacklist(const std::string& ip);
    /// Clears one key (an admin unlocking an account or address). @return false when absent.
    bool unlock(const std::string& key);
    /// Deletes counters that are neither locked nor recent. @return the number deleted.
    std::size_t purgeStale(std::int64_t now);

    /// "ip:" + the address (cut at 64 bytes).
    static std::string ipKey(const std::string& ip);
    /// "user:" + the lower-cased name cut at 64 bytes, with control, non-ASCII and URI-unsafe
    /// bytes percent-encoded, so that any input makes a short ASCII key.
    static std::string userKey(const std::string& username);

private:
    std::vector<std::string> keysFor(const std::string& ip, const std::string& username) const;
    int lockSecondsFor(int failures) const;

    Database& _database;
    Settings _settings;
};

} // namespace comfygate::auth
