#include "LoginThrottle.h"

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <stdexcept>

using namespace Poco::Data::Keywords;

namespace comfygate::auth {

namespace {

// Usernames and addresses are shorter; anything longer is an attack and needs no more.
constexpr std::size_t maximumNameBytes = 64;

} // namespace

LoginThrottle::LoginThrottle(Database& database, Settings settings) :
    _database(database), _settings(std::move(settings))
{
    int previous = 0;
    for (const auto& [count, seconds] : _settings.steps) {
        if (count <= previous || seconds < 0)
            throw std::invalid_argument("login throttle steps need increasing failure counts"
                                        " and non-negative lock seconds");
        previous = count;
    }
    if (_settings.blacklistAfter < 1 || _settings.blacklistSeconds < 1
        || _settings.resetAfterSeconds < 1)
        throw std::invalid_argument("login throttle limits must be positive");
}

std::string LoginThrottle::ipKey(const std::string& ip)
{
    return "ip:" + ip.substr(0, maximumNameBytes);
}

std::string LoginThrottle::userKey(const std::string& username)
{
    // Any bytes may arrive as a username; the key must stay ASCII (PostgreSQL text is UTF-8).
    std::string encoded;
    Poco::URI::encode(Poco::toLower(username.substr(0, maximumNameBytes)), "", encoded);
    return "user:" + encoded;
}

std::vector<std::string> LoginThrottle::keysFor(const std::string& ip,
                                                const std::string& username) const
{
    std::vector<std::string> keys;
    if (!ip.empty())
        keys.push_back(ipKey(ip));
    if (!username.empty())
        keys.push_back(userKey(username));
    return keys;
}

int LoginThrottle::lockSecondsFor(int failures) const
{
    int seconds = 0;
    for (const auto& [count, lock] : _settings.steps) {
        if (failures >= count)
            seconds = lock;
    }
    return seconds;
}

std::optional<std::int64_t> LoginThrottle::lockedFor(const std::string& ip,
                                                     const std::string& username,
                                                     std::int64_t now)
{
    std::int64_t longest = 0;
    Poco::Data::Session session = _database.session();
    for (const std::string& key : keysFor(ip, username)) {
        std::vector<Poco::Int64> until;
        session << _database.translate(
            "SELECT locked_until FROM login_failures WHERE throttle_key = ?"),
            into(until), bind(key), Poco::Data::Keywords::now;
        if (!until.empty())
            longest = std::max<std::int64_t>(longest, until[0] - now);
    }
    if (longest <= 0)
        return std::nullopt;
    return longest;
}

void LoginThrottle::recordFailure(const std::string& ip, const std::string& username,
                                  std::int64_t now)
{
    const std::vector<std::string> keys = keysFor(ip, username);
    if (keys.empty())
        return;
    const Poco::Int64 at = now;
    const Poco::Int64 resetBefore = now - _settings.resetAfterSeconds;
    _database.write([&](Poco::Data::Session& session) {
        for (const std::string& key : keys) {
            // One statement increments or restarts the counter, so concurrent failures on
            // PostgreSQL are all counted.
            std::vector<int> counts;
            std::vector<Poco::Int64> locks;
            session << _database.translate(
                "INSERT INTO login_failures (throttle_key, failures, first_failure_at,"
                " last_failure_at, locked_until) VALUES (?, 1, ?, ?, 0)"
                " ON CONFLICT (throttle_key) DO UPDATE SET"
                " failures = CASE WHEN login_failures.last_failure_at < ? THEN 1"
                "  ELSE login_failures.failures + 1 END,"
                " first_failure_at = CASE WHEN login_failures.last_failure_at < ?"
                "  THEN excluded.first_failure_at ELSE login_failures.first_failure_at END,"
                " locked_until = CASE WHEN login_failures.last_failure_at < ? THEN 0"
                "  ELSE login_failures.locked_until END,"
                " last_failure_at = excluded.last_failure_at"
                " RETURNING failures, locked_until"),
                into(counts), into(locks), bind(key), bind(at), bind(at), bind(resetBefore),
                bind(resetBefore), bind(resetBefore), Poco::Data::Keywords::now;
            if (counts.empty())
                throw std::runtime_error("login throttle: the counter update returned no row");
            const int seconds = lockSecondsFor(counts[0]);
            if (seconds > 0 && at + seconds > locks[0])
                session << _database.translate(
                    "UPDATE login_failures SET locked_until = ? WHERE throttle_key = ?"),
                    bind(static_cast<Poco::Int64>(at + seconds)), bind(key),
                    Poco::Data::Keywords::now;
        }
    });
}

void LoginThrottle::recordSuccess(const std::string& ip, const std::string& username)
{
    const std::vector<std::string> keys = keysFor(ip, username);
    _database.write([&](Poco::Data::Session& session) {
        for (const std::string& key : keys)
            session << _database.translate("DELETE FROM login_failures WHERE throttle_key = ?"),
                bind(key), now;
    });
}

int LoginThrottle::failures(const std::string& key)
{
    std::vector<int> counts;
    Poco::Data::Session session = _database.session();
    session << _database.translate("SELECT failures FROM login_failures WHERE throttle_key = ?"),
        into(counts), bind(key), now;
    return counts.empty() ? 0 : counts[0];
}

bool LoginThrottle::shouldBlacklist(const std::string& ip)
{
    return !ip.empty() && failures(ipKey(ip)) >= _settings.blacklistAfter;
}

bool LoginThrottle::unlock(const std::string& key)
{
    std::size_t deleted = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement remove(session);
        remove << _database.translate("DELETE FROM login_failures WHERE throttle_key = ?"),
            bind(key);
        deleted = remove.execute();
    });
    return deleted == 1;
}

std::size_t LoginThrottle::purgeStale(std::int64_t now)
{
    std::size_t deleted = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement remove(session);
        remove << _database.translate("DELETE FROM login_failures WHERE locked_until <= ? AND"
                                      " last_failure_at < ?"),
            bind(static_cast<Poco::Int64>(now)),
            bind(static_cast<Poco::Int64>(now - _settings.resetAfterSeconds));
        deleted = remove.execute();
    });
    return deleted;
}

} // namespace comfygate::auth
