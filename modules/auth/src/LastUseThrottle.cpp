#include "LastUseThrottle.h"

namespace comfygate::auth {

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
