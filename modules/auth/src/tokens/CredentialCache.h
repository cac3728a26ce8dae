#pragma once

#include "RevocationEpoch.h"
#include "UserStore.h"
#include "comfygate/BoundedCache.h"

#include <cstdint>
#include <optional>
#include <string>

namespace comfygate::auth {

/// Credential rows that were read and accepted, with their users (what
/// UserStore::findWithCredential returns), so an authenticated request does not read the
/// database. Keyed by the credential's own id ("t:" + API token hash, "s:" + session jti).
///
/// Bounded (auth.credential_cache_entries, least recently used dropped first; 0 disables it)
/// and tied to the revocation epoch: when it has advanced (any committed change of accounts,
/// sessions, tokens, MFA, IP lists or settings, by this process or another one sharing the
/// epoch) every entry is dropped at once. The caller checks expiry and idle time on every
/// hit, and reads the database again when a cached row would refuse: the cache only ever
/// serves acceptances. Thread safe.
class CredentialCache
{
public:
    using Row = UserStore::CredentialRow;

    CredentialCache(const RevocationEpoch& epoch, std::size_t capacity) : _epoch(epoch), _rows(capacity) {}

    /// The epoch to pass to remember(): read it BEFORE reading the row, so a change committed
    /// during the read makes the entry stale instead of hiding it.
    std::uint64_t epoch() const { return _epoch.current(); }

    std::optional<Row> find(const std::string& key) { return _rows.find(key, _epoch.current()); }
    /// Keeps `row` unless the epoch moved since `epochBeforeRead`.
    void remember(const std::string& key, Row row, std::uint64_t epochBeforeRead)
    {
        _rows.remember(key, std::move(row), epochBeforeRead, _epoch.current());
    }
    void forget(const std::string& key) { _rows.forget(key); }

    std::size_t capacity() const { return _rows.capacity(); }
    std::size_t size() const { return _rows.size(); }
    std::uint64_t hits() const { return _rows.hits(); }
    std::uint64_t misses() const { return _rows.misses(); }

private:
    const RevocationEpoch& _epoch;
    BoundedCache<Row> _rows;
};

} // namespace comfygate::auth
