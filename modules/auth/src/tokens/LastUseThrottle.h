#pragma once

#include "comfygate/Database.h"

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace comfygate::auth {

/// Remembers when a credential's "last used" time was last written, so the hot path writes
/// it at most once per interval instead of on every request.
class LastUseThrottle
{
public:
    LastUseThrottle(Database& database, std::int64_t intervalSeconds, std::size_t capacity = 100000)
        : _database(database), _interval(intervalSeconds), _capacity(capacity)
    {
    }

    /// Sets `table.last_used_at` to `now` for the row whose `keyColumn` is `key`, unless it
    /// was written less than the interval ago (here, or in the database by another instance).
    /// Table and column are the store's constants, never client input. True when a row changed.
    bool touch(const std::string& table, const std::string& keyColumn, const std::string& key, std::int64_t now);

    /// True when `key` was written less than the interval ago.
    bool recentlyWritten(const std::string& key, std::int64_t now);
    void written(const std::string& key, std::int64_t now);

private:
    Database& _database;
    std::int64_t _interval;
    std::size_t _capacity;
    std::mutex _mutex;
    std::unordered_map<std::string, std::int64_t> _written;
};

} // namespace comfygate::auth
