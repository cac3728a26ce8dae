#include "VerifiedTokenCache.h"

#include <algorithm>

namespace comfygate::auth {

std::optional<JwtCodec::Claims> VerifiedTokenCache::find(const std::string& token, std::int64_t now)
{
    std::lock_guard lock(_mutex);
    const auto it = _entries.find(token);
    if (it == _entries.end())
        return std::nullopt;
    if (it->second.validUntil <= now) {
        _entries.erase(it);
        return std::nullopt;
    }
    return it->second.claims;
}

void VerifiedTokenCache::remember(const std::string& token, const JwtCodec::Claims& claims, std::int64_t now)
{
    std::lock_guard lock(_mutex);
    if (_entries.size() >= _capacity) {
        // Drop what has expired; if that frees nothing, start over rather than grow.
        for (auto it = _entries.begin(); it != _entries.end();)
            it = it->second.validUntil <= now ? _entries.erase(it) : std::next(it);
        if (_entries.size() >= _capacity)
            _entries.clear();
    }
    _entries[token] = Entry{claims, std::min(claims.expiresAt, now + _ttl)};
}

} // namespace comfygate::auth
