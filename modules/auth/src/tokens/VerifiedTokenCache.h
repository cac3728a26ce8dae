#pragma once

#include "JwtCodec.h"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace comfygate::auth {

/// Remembers session JWTs whose signature and claims were verified, for at most a minute and
/// never past their expiry, so a request does not pay a full JWT parse. Only the parse is
/// cached: revocation is checked against the database on every request.
class VerifiedTokenCache
{
public:
    explicit VerifiedTokenCache(std::size_t capacity = 10000, std::int64_t ttlSeconds = 60)
        : _capacity(capacity), _ttl(ttlSeconds)
    {
    }

    std::optional<JwtCodec::Claims> find(const std::string& token, std::int64_t now);
    void remember(const std::string& token, const JwtCodec::Claims& claims, std::int64_t now);

private:
    struct Entry
    {
        JwtCodec::Claims claims;
        std::int64_t validUntil;
    };
    std::mutex _mutex;
    std::unordered_map<std::string, Entry> _entries;
    std::size_t _capacity;
    std::int64_t _ttl;
};

} // namespace comfygate::auth
