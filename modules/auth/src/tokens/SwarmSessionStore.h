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

namespace comfygate::auth {

/// SwarmUI `session_id`s (table swarm_sessions, by SHA-256 hex of the id). Each is bound to
/// the credential that created it: a session JWT ("session", its jti) or an API token
/// ("api_token", its hash), and dies with it: SessionStore and ApiTokenStore delete the bound
/// rows when they revoke, and findLive() refuses one whose credential is no longer valid.
/// Thread safe.
class SwarmSessionStore
{
public:
    static constexpr std::int64_t touchIntervalSeconds = 30;

    explicit SwarmSessionStore(Database& database) : SwarmSessionStore(database, database) {}
    /// `lastUseDatabase` takes the touch() writes: the auth module passes the database without
    /// its revocation tracking there (a last-use write revokes nothing).
    SwarmSessionStore(Database& database, Database& lastUseDatabase);

    /// Throws std::invalid_argument for a malformed hash or kind, or when the credential does
    /// not exist or belongs to another user.
    void create(const std::string& sessionHash, const std::string& userId,
                const std::string& credentialKind, const std::string& credentialId,
                std::int64_t now);

    /// The record as stored, whatever its credential's state.
    std::optional<SwarmSession> find(const std::string& sessionHash);
    /// The record only while its credential is valid at `now` (session not revoked or
    /// expired, token not expired) and it was created no earlier than the user's
    /// tokens_valid_after. Use this one to authenticate.
    std::optional<SwarmSession> findLive(const std::string& sessionHash, std::int64_t now);

    /// @return the number deleted.
    std::size_t removeForCredential(const std::string& credentialKind,
                                    const std::string& credentialId);
    std::size_t removeForUser(const std::string& userId);
    /// Deletes one session_id (SwarmUI logout). @return false when unknown.
    bool remove(const std::string& sessionHash);

    /// Sets last use to `now` when the stored one is older than touchIntervalSeconds.
    /// @return true when it wrote.
    bool touch(const std::string& sessionHash, std::int64_t now);

    /// Deletes session_ids unused for `idleSeconds` and those whose credential is gone,
    /// revoked or expired. @return the number deleted.
    std::size_t purgeStale(std::int64_t idleSeconds, std::int64_t now);

private:

    Database& _database;
    LastUseThrottle _lastUse;
};

} // namespace comfygate::auth
