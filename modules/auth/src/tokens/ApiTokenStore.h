#pragma once

#include "LastUseThrottle.h"

#include "AuthRecords.h"
#include "comfygate/Database.h"

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace comfygate::auth {

/// revokeByPrefix() was given a prefix that matches more than one of the user's tokens.
class AmbiguousPrefix : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// API tokens (table api_tokens), known only by the lower-case hex SHA-256 of the token.
/// Revoking a token also deletes the SwarmUI session_ids it created. Thread safe.
class ApiTokenStore
{
public:
    /// touch() writes at most once per this many seconds per token.
    static constexpr std::int64_t touchIntervalSeconds = 30;
    /// The shortest hash prefix revokeByPrefix() accepts.
    static constexpr std::size_t minimumPrefixLength = 8;

    explicit ApiTokenStore(Database& database) : ApiTokenStore(database, database) {}
    /// `lastUseDatabase` takes the touch() writes: the auth module passes the database without
    /// its revocation tracking there (a last-use write revokes nothing).
    ApiTokenStore(Database& database, Database& lastUseDatabase);

    /// `expiresAt` 0 = never. Throws std::invalid_argument when `hash` is not 64 lower-case
    /// hex digits, the label is longer than 2000 bytes or not UTF-8, or the user is unknown.
    void create(const std::string& hash, const std::string& userId, const std::string& label,
                std::int64_t createdAt, std::int64_t expiresAt);

    /// The token, expired or not (see ApiToken::activeAt()).
    std::optional<ApiToken> findByHash(const std::string& hash);
    /// The user's tokens, expired ones included, newest first.
    std::vector<ApiToken> listForUser(const std::string& userId);

    /// Revokes the user's token whose hash starts with `prefix` (8 to 64 hex digits, case
    /// ignored). @return 1, or 0 when none matches. Throws std::invalid_argument for a bad
    /// prefix and AmbiguousPrefix (revoking nothing) when several tokens match.
    std::size_t revokeByPrefix(const std::string& userId, const std::string& prefix);
    /// @return the number of the user's tokens revoked.
    std::size_t revokeForUser(const std::string& userId);

    /// Sets last use to `now` when the stored one is older than touchIntervalSeconds.
    /// @return true when it wrote.
    bool touch(const std::string& hash, std::int64_t now);

    /// Deletes tokens that expired more than a day before `now`. @return the number deleted.
    std::size_t purgeExpired(std::int64_t now);

private:

    Database& _database;
    LastUseThrottle _lastUse;
};

} // namespace comfygate::auth
