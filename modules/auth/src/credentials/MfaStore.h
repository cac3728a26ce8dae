#pragma once

#include "AuthRecords.h"
#include "comfygate/Database.h"
#include "comfygate/Secrets.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace comfygate::auth {

/// TOTP enrolment, replay protection, backup codes and mfa_temp_tokens (tables mfa_totp,
/// mfa_backup_codes, mfa_temp_tokens). TOTP secrets are sealed with the AAD
/// "user:<id>|totp"; backup codes and temp tokens are stored as SHA-256 hex given by the
/// caller. Every check-and-consume is one conditional statement, so it holds across threads
/// and instances. Thread safe.
class MfaStore
{
public:
    /// Wrong codes a temp token survives before it is ended.
    static constexpr int defaultTempTokenAttempts = 5;

    MfaStore(Database& database, Secrets& secrets,
             int tempTokenAttempts = defaultTempTokenAttempts);

    /// Stores the secret being enrolled (replacing an earlier pending one); the active secret,
    /// if any, stays in force until activate(). Throws std::invalid_argument for an empty
    /// secret or an unknown user.
    void setPendingSecret(const std::string& userId, const std::string& base32Secret);
    std::optional<std::string> pendingSecret(const std::string& userId);
    /// In one transaction: the pending secret becomes the active one and users.mfa_enabled is
    /// set. @return false when there is no pending secret.
    bool activate(const std::string& userId);
    /// Forgets secrets, backup codes and the last step; users.mfa_enabled = 0.
    void disable(const std::string& userId);
    std::optional<std::string> activeSecret(const std::string& userId);

    /// Accepts time step `step` only if it is newer than every step accepted before for this
    /// user (`UPDATE ... WHERE last_step < step`). @return false for a replay or a user
    /// without a TOTP record.
    bool consumeStep(const std::string& userId, std::int64_t step);

    /// Replaces the user's backup codes (SHA-256 hex each). Throws std::invalid_argument for
    /// a malformed hash.
    void replaceBackupCodes(const std::string& userId, const std::vector<std::string>& codeHashes);
    /// Single use: @return true for exactly one caller per code.
    bool consumeBackupCode(const std::string& userId, const std::string& codeHash);
    std::size_t backupCodesLeft(const std::string& userId);

    /// Persists an mfa_temp_token (by SHA-256 hex). `purpose` is "login", "setup" or "token".
    /// Throws std::invalid_argument for a malformed hash or purpose or an unknown user.
    void createTempToken(const std::string& tokenHash, const std::string& userId,
                         const std::string& purpose, std::int64_t expiresAt,
                         const std::string& payloadJson);
    /// Deletes the token and returns what it stood for; nullopt when unknown, already used or
    /// expired at `now`. Exactly one of concurrent callers gets it.
    std::optional<TempToken> consumeTempToken(const std::string& tokenHash, std::int64_t now);
    /// The token without consuming it (setup flow); nullopt when unknown or expired.
    std::optional<TempToken> peekTempToken(const std::string& tokenHash, std::int64_t now);
    /// Counts a wrong code against the token; at the limit the token is deleted.
    /// @return attempts left (0 = the token is gone).
    int recordTempTokenFailure(const std::string& tokenHash);
    /// Deletes expired temp tokens. @return the number deleted.
    std::size_t purgeExpiredTempTokens(std::int64_t now);

private:
    std::optional<std::string> openSecret(const std::string& userId, const std::string& column);
    std::string aad(const std::string& userId) const { return "user:" + userId + "|totp"; }

    Database& _database;
    Secrets& _secrets;
    int _tempTokenAttempts;
};

} // namespace comfygate::auth
