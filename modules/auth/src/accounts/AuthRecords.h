#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace comfygate::auth {

/// One account (table users). `role` is one of comfygate::knownRoles(); `groups` are extra
/// group names. `passwordHash` is an argon2id PHC string, empty for accounts that cannot log
/// in with a password (the built-in guest).
struct User
{
    std::string id;
    std::string username;
    std::string role;
    std::vector<std::string> groups;
    bool sfwCheck = true;
    std::string passwordHash;
    bool mfaEnabled = false;
    std::int64_t createdAt = 0, lastLoginAt = 0, tokensValidAfter = 0;
    bool builtin = false;
    /// Refused at sign-in. Not read on the credential path: disabling also deletes every
    /// credential the account had (UserStore::setDisabled).
    bool disabled = false;
};

/// A session JWT's server-side record (table session_tokens), keyed by its `jti`.
struct Session
{
    std::string jti;
    std::string userId;
    std::int64_t createdAt = 0;
    std::int64_t lastUsedAt = 0;
    std::int64_t expiresAt = 0; ///< 0 = no expiry
    bool revoked = false;
    std::string clientAddress;
    std::string userAgent;

    /// Not revoked and not expired at `now`.
    bool activeAt(std::int64_t now) const
    {
        return !revoked && (expiresAt == 0 || expiresAt > now);
    }
};

/// An API token (table api_tokens), known only by the SHA-256 hex of the token.
struct ApiToken
{
    std::string hash;
    std::string userId;
    std::string label;
    std::int64_t createdAt = 0;
    std::int64_t expiresAt = 0; ///< 0 = never
    std::int64_t lastUsedAt = 0;

    /// Not expired at `now`.
    bool activeAt(std::int64_t now) const { return expiresAt == 0 || expiresAt > now; }
};

/// What an mfa_temp_token stands for: whose login it continues, for which flow
/// ("login", "setup" or "token") and the flow's own data (JSON, e.g. a token label).
struct TempToken
{
    std::string userId;
    std::string purpose;
    std::string payloadJson;
    std::int64_t expiresAt = 0;
};

/// One IP blacklist entry: an address or CIDR block, permanent or until `expiresAt`.
struct BlacklistEntry
{
    std::string ip;
    bool permanent = false;
    std::int64_t expiresAt = 0; ///< ignored when permanent
    std::string reason;
};

/// A SwarmUI session_id's record (table swarm_sessions): it lives only as long as the
/// credential that created it ("session" = a session JWT's jti, "api_token" = a token hash).
struct SwarmSession
{
    std::string userId;
    std::string credentialKind;
    std::string credentialId;
    std::int64_t createdAt = 0;
    std::int64_t lastUsedAt = 0;
};

} // namespace comfygate::auth
