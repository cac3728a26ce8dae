#include "LastUseThrottle.h"

#include <Poco/Data/Statement.h>

using namespace Poco::Data::Keywords;

namespace comfygate::auth {

bool LastUseThrottle::touch(const std::string& table, const std::string& keyColumn, const std::string& key,
                            std::int64_t now)
{
    if (recentlyWritten(key, now))
        return false;
    std::size_t changed = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement update(session);
        update << _database.translate("UPDATE " + table + " SET last_used_at = ? WHERE " + keyColumn +
                                     " = ? AND last_used_at <= ?"),
            bind(static_cast<Poco::Int64>(now)), bind(key), bind(static_cast<Poco::Int64>(now - _interval));
        changed = update.execute();
    });
    // Also when nothing changed: another instance touched it within the interval.
    written(key, now);
    return changed == 1;
}

bool LastUseThrottle::recentlyWritten(const std::string& key, std::int64_t now)
{
    std::lock_guard<std::mutex> lock(_mutex);
    const auto it = _written.find(key);
    return it != _written.end() && now - it->second < _interval;
}

void LastUseThrottle::written(const std::string& key, std::int64_t now)
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (_written.size() >= _capacity)
        _written.clear(); // forgetting only costs one extra write per key
    _written[key] = now;
}

} // namespace comfygate::auth
