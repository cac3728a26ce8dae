#pragma once

#include "LastUseThrottle.h"

#include "AuthRecords.h"
#include "comfygate/Database.h"

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace comfygate::auth {

/// Server-side state of session JWTs (table session_tokens), keyed by `jti`: last use,
/// expiry and revocation. A jti that is not in the table must be treated as revoked
/// (purgeExpired() deletes old rows). Revoking a session also deletes the SwarmUI
/// session_ids it created. Thread safe.
class SessionStore
{
public:
    /// touch() writes at most once per this many seconds per session.
    static constexpr std::int64_t touchIntervalSeconds = 30;

    explicit SessionStore(Database& database) : SessionStore(database, database) {}
    /// `lastUseDatabase` takes the touch() writes: the auth module passes the database without
    /// its revocation tracking there (a last-use write revokes nothing).
    SessionStore(Database& database, Database& lastUseDatabase);

    /// Records a new session; `expiresAt` 0 = no expiry. The user agent is kept as printable
    /// ASCII, at most 512 bytes. Throws std::invalid_argument for an empty or over-long
    /// (> 128) jti or an unknown user.
    void create(const std::string& jti, const std::string& userId, std::int64_t createdAt,
                std::int64_t expiresAt, const std::string& clientAddress,
                const std::string& userAgent);

    std::optional<Session> find(const std::string& jti);

    /// Sets last use to `now` when the stored one is older than touchIntervalSeconds; the
    /// hot path: a session touched recently by this process costs no query at all.
    /// @return true when it wrote.
    bool touch(const std::string& jti, std::int64_t now);

    /// @return false when there is no such session or it was already revoked.
    bool revoke(const std::string& jti);
    /// Revokes every session of the user except `exceptJti` (may be empty).
    /// @return the number revoked.
    std::size_t revokeForUser(const std::string& userId, const std::string& exceptJti = "");
    /// The user's sessions that are neither revoked nor expired at `now`, newest first.
    std::vector<Session> listForUser(const std::string& userId, std::int64_t now);
    /// Revokes sessions whose last use is more than `idleSeconds` before `now`.
    /// @return the number revoked.
    std::size_t revokeIdle(std::int64_t idleSeconds, std::int64_t now);
    /// Deletes sessions that expired, or were revoked after their last use, more than a day
    /// before `now`. @return the number deleted.
    std::size_t purgeExpired(std::int64_t now);

private:

    Database& _database;
    LastUseThrottle _lastUse;
};

} // namespace comfygate::auth
