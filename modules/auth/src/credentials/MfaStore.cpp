#include "MfaStore.h"

#include "UserStore.h"

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include <algorithm>
#include <set>
#include <stdexcept>

using namespace Poco::Data::Keywords;

namespace comfygate::auth {

namespace {

void requireHash(const std::string& hash, const char* what)
{
    const bool hex = std::all_of(hash.begin(), hash.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
    if (hash.size() != 64 || !hex)
        throw std::invalid_argument(std::string(what) + " must be a SHA-256 in lower-case hex");
}

} // namespace

MfaStore::MfaStore(Database& database, Secrets& secrets, int tempTokenAttempts) :
    _database(database), _secrets(secrets), _tempTokenAttempts(tempTokenAttempts)
{
    if (tempTokenAttempts < 1)
        throw std::invalid_argument("a temp token needs at least one attempt");
}

void MfaStore::setPendingSecret(const std::string& userId, const std::string& base32Secret)
{
    if (base32Secret.empty())
        throw std::invalid_argument("empty TOTP secret");
    const std::string sealed = _secrets.seal(base32Secret, aad(userId));
    _database.write([&](Poco::Data::Session& session) {
        UserStore::requireExists(_database, session, userId);
        session << _database.translate(
            "INSERT INTO mfa_totp (user_id, pending_secret, active_secret, last_step)"
            " VALUES (?, ?, '', 0) ON CONFLICT (user_id) DO UPDATE SET pending_secret ="
            " excluded.pending_secret"),
            bind(userId), bind(sealed), now;
    });
}

std::optional<std::string> MfaStore::openSecret(const std::string& userId,
                                                const std::string& column)
{
    std::vector<std::string> sealed;
    {
        Poco::Data::Session session = _database.session();
        session << _database.translate("SELECT " + column + " FROM mfa_totp WHERE user_id = ?"),
            into(sealed), bind(userId), now;
    }
    if (sealed.empty() || sealed[0].empty())
        return std::nullopt;
    return _secrets.open(sealed[0], aad(userId));
}

std::optional<std::string> MfaStore::pendingSecret(const std::string& userId)
{
    return openSecret(userId, "pending_secret");
}

std::optional<std::string> MfaStore::activeSecret(const std::string& userId)
{
    return openSecret(userId, "active_secret");
}

bool MfaStore::activate(const std::string& userId)
{
    std::size_t changed = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement promote(session);
        promote << _database.translate(
            "UPDATE mfa_totp SET active_secret = pending_secret, pending_secret = ''"
            " WHERE user_id = ? AND pending_secret <> ''"),
            bind(userId);
        changed = promote.execute();
        if (changed == 1)
            session << _database.translate("UPDATE users SET mfa_enabled = 1 WHERE id = ?"),
                bind(userId), now;
    });
    return changed == 1;
}

void MfaStore::disable(const std::string& userId)
{
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate("DELETE FROM mfa_totp WHERE user_id = ?"), bind(userId),
            now;
        session << _database.translate("DELETE FROM mfa_backup_codes WHERE user_id = ?"),
            bind(userId), now;
        session << _database.translate("UPDATE users SET mfa_enabled = 0 WHERE id = ?"),
            bind(userId), now;
    });
}

bool MfaStore::consumeStep(const std::string& userId, std::int64_t step)
{
    std::size_t changed = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement update(session);
        update << _database.translate(
            "UPDATE mfa_totp SET last_step = ? WHERE user_id = ? AND last_step < ?"),
            bind(static_cast<Poco::Int64>(step)), bind(userId),
            bind(static_cast<Poco::Int64>(step));
        changed = update.execute();
    });
    return changed == 1;
}

void MfaStore::replaceBackupCodes(const std::string& userId,
                                  const std::vector<std::string>& codeHashes)
{
    for (const std::string& hash : codeHashes)
        requireHash(hash, "a backup code hash");
    const std::set<std::string> unique(codeHashes.begin(), codeHashes.end());
    _database.write([&](Poco::Data::Session& session) {
        UserStore::requireExists(_database, session, userId);
        session << _database.translate("DELETE FROM mfa_backup_codes WHERE user_id = ?"),
            bind(userId), now;
        for (const std::string& hash : unique)
            session << _database.translate(
                "INSERT INTO mfa_backup_codes (user_id, code_hash) VALUES (?, ?)"),
                bind(userId), bind(hash), now;
    });
}

bool MfaStore::consumeBackupCode(const std::string& userId, const std::string& codeHash)
{
    std::size_t deleted = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement remove(session);
        remove << _database.translate(
            "DELETE FROM mfa_backup_codes WHERE user_id = ? AND code_hash = ?"),
            bind(userId), bind(codeHash);
        deleted = remove.execute();
    });
    return deleted == 1;
}

std::size_t MfaStore::backupCodesLeft(const std::string& userId)
{
    Poco::Int64 count = 0;
    Poco::Data::Session session = _database.session();
    session << _database.translate("SELECT COUNT(*) FROM mfa_backup_codes WHERE user_id = ?"),
        into(count), bind(userId), now;
    return static_cast<std::size_t>(count);
}

void MfaStore::createTempToken(const std::string& tokenHash, const std::string& userId,
                               const std::string& purpose, std::int64_t expiresAt,
                               const std::string& payloadJson)
{
    requireHash(tokenHash, "a temp token hash");
    if (purpose != "login" && purpose != "setup" && purpose != "token")
        throw std::invalid_argument("a temp token's purpose is login, setup or token");
    _database.write([&](Poco::Data::Session& session) {
        UserStore::requireExists(_database, session, userId);
        session << _database.translate(
            "INSERT INTO mfa_temp_tokens (token_hash, user_id, purpose, expires_at, payload,"
            " failures) VALUES (?, ?, ?, ?, ?, 0)"),
            bind(tokenHash), bind(userId), bind(purpose),
            bind(static_cast<Poco::Int64>(expiresAt)), bind(payloadJson), now;
    });
}

std::optional<TempToken> MfaStore::consumeTempToken(const std::string& tokenHash,
                                                    std::int64_t now)
{
    std::vector<std::string> users, purposes, payloads;
    std::vector<Poco::Int64> expires;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate("DELETE FROM mfa_temp_tokens WHERE token_hash = ?"
                                       " RETURNING user_id, purpose, payload, expires_at"),
            into(users), into(purposes), into(payloads), into(expires), bind(tokenHash),
            Poco::Data::Keywords::now;
    });
    if (users.empty() || expires[0] <= now)
        return std::nullopt;
    return TempToken{users[0], purposes[0], payloads[0], expires[0]};
}

std::optional<TempToken> MfaStore::peekTempToken(const std::string& tokenHash, std::int64_t now)
{
    std::vector<std::string> users, purposes, payloads;
    std::vector<Poco::Int64> expires;
    Poco::Data::Session session = _database.session();
    session << _database.translate("SELECT user_id, purpose, payload, expires_at FROM"
                                   " mfa_temp_tokens WHERE token_hash = ? AND expires_at > ?"),
        into(users), into(purposes), into(payloads), into(expires), bind(tokenHash),
        bind(static_cast<Poco::Int64>(now)), Poco::Data::Keywords::now;
    if (users.empty())
        return std::nullopt;
    return TempToken{users[0], purposes[0], payloads[0], expires[0]};
}

int MfaStore::recordTempTokenFailure(const std::string& tokenHash)
{
    int left = 0;
    _database.write([&](Poco::Data::Session& session) {
        std::vector<int> failures;
        session << _database.translate("UPDATE mfa_temp_tokens SET failures = failures + 1"
                                       " WHERE token_hash = ? RETURNING failures"),
            into(failures), bind(tokenHash), now;
        if (failures.empty())
            return;
        left = std::max(0, _tempTokenAttempts - failures[0]);
        if (left == 0)
            session << _database.translate("DELETE FROM mfa_temp_tokens WHERE token_hash = ?"),
                bind(tokenHash), now;
    });
    return left;
}

std::size_t MfaStore::purgeExpiredTempTokens(std::int64_t now)
{
    std::size_t deleted = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement remove(session);
        remove << _database.translate("DELETE FROM mfa_temp_tokens WHERE expires_at <= ?"),
            bind(static_cast<Poco::Int64>(now));
        deleted = remove.execute();
    });
    return deleted;
}

} // namespace comfygate::auth
