#include "ApiTokenStore.h"

#include "UserStore.h"

#include <comfygate/Utf8.h>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/String.h>

#include <algorithm>

using namespace Poco::Data::Keywords;

namespace comfygate::auth {

namespace {

constexpr std::int64_t purgeAfterSeconds = 86400;
constexpr std::size_t maximumLabelBytes = 2000; // SwarmUI reasons: 500 characters of up to 4 bytes

bool isLowerHex(const std::string& text)
{
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
}

const std::string selectTokens =
    "SELECT hash, user_id, label, created_at, expires_at, last_used_at FROM api_tokens ";

std::vector<ApiToken> readTokens(Poco::Data::Session& session, const std::string& sql,
                                 const std::string& key)
{
    std::vector<std::string> hashes, users, labels;
    std::vector<Poco::Int64> created, expires, lastUsed;
    session << sql, into(hashes), into(users), into(labels), into(created), into(expires),
        into(lastUsed), bind(key), now;
    std::vector<ApiToken> tokens;
    for (std::size_t i = 0; i < hashes.size(); ++i)
        tokens.push_back({hashes[i], users[i], labels[i], created[i], expires[i], lastUsed[i]});
    return tokens;
}

} // namespace

ApiTokenStore::ApiTokenStore(Database& database, Database& lastUseDatabase)
    : _database(database), _lastUse(lastUseDatabase, touchIntervalSeconds)
{
}

void ApiTokenStore::create(const std::string& hash, const std::string& userId,
                           const std::string& label, std::int64_t createdAt,
                           std::int64_t expiresAt)
{
    if (hash.size() != 64 || !isLowerHex(hash))
        throw std::invalid_argument("an API token hash is 64 lower-case hex digits");
    if (label.size() > maximumLabelBytes || !isUtf8(label))
        throw std::invalid_argument("a token label is UTF-8 text of at most 2000 bytes");
    _database.write([&](Poco::Data::Session& session) {
        UserStore::requireExists(_database, session, userId);
        session << _database.translate(
            "INSERT INTO api_tokens (hash, user_id, label, created_at, expires_at, last_used_at)"
            " VALUES (?, ?, ?, ?, ?, 0)"),
            bind(hash), bind(userId), bind(label), bind(static_cast<Poco::Int64>(createdAt)),
            bind(static_cast<Poco::Int64>(expiresAt)), now;
    });
}

std::optional<ApiToken> ApiTokenStore::findByHash(const std::string& hash)
{
    Poco::Data::Session session = _database.session();
    std::vector<ApiToken> tokens =
        readTokens(session, _database.translate(selectTokens + "WHERE hash = ?"), hash);
    if (tokens.empty())
        return std::nullopt;
    return tokens.front();
}

std::vector<ApiToken> ApiTokenStore::listForUser(const std::string& userId)
{
    Poco::Data::Session session = _database.session();
    return readTokens(session,
                      _database.translate(selectTokens
                                          + "WHERE user_id = ? ORDER BY created_at DESC, hash"),
                      userId);
}

std::size_t ApiTokenStore::revokeByPrefix(const std::string& userId, const std::string& prefix)
{
    const std::string wanted = Poco::toLower(prefix);
    if (wanted.size() < minimumPrefixLength || wanted.size() > 64 || !isLowerHex(wanted))
        throw std::invalid_argument("a token hash prefix has 8 to 64 hex digits");
    const Poco::Int32 length = static_cast<Poco::Int32>(wanted.size());
    std::size_t revoked = 0;
    _database.write([&](Poco::Data::Session& session) {
        std::vector<std::string> hashes;
        session << _database.translate("SELECT hash FROM api_tokens WHERE user_id = ? AND"
                                       " substr(hash, 1, ?) = ?"),
            into(hashes), bind(userId), bind(length), bind(wanted), now;
        if (hashes.size() > 1)
            throw AmbiguousPrefix("the prefix matches " + std::to_string(hashes.size())
                                  + " tokens; give more digits");
        if (hashes.empty())
            return;
        session << _database.translate("DELETE FROM swarm_sessions WHERE credential_kind ="
                                       " 'api_token' AND credential_id = ?"),
            bind(hashes[0]), now;
        Poco::Data::Statement remove(session);
        remove << _database.translate("DELETE FROM api_tokens WHERE hash = ?"), bind(hashes[0]);
        revoked = remove.execute();
    });
    return revoked;
}

std::size_t ApiTokenStore::revokeForUser(const std::string& userId)
{
    std::size_t revoked = 0;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate(
            "DELETE FROM swarm_sessions WHERE credential_kind = 'api_token' AND credential_id IN"
            " (SELECT hash FROM api_tokens WHERE user_id = ?)"),
            bind(userId), now;
        Poco::Data::Statement remove(session);
        remove << _database.translate("DELETE FROM api_tokens WHERE user_id = ?"), bind(userId);
        revoked = remove.execute();
    });
    return revoked;
}

bool ApiTokenStore::touch(const std::string& hash, std::int64_t now)
{
    return _lastUse.touch("api_tokens", "hash", hash, now);
}

std::size_t ApiTokenStore::purgeExpired(std::int64_t now)
{
    const Poco::Int64 cutoff = now - purgeAfterSeconds;
    std::size_t deleted = 0;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate(
            "DELETE FROM swarm_sessions WHERE credential_kind = 'api_token' AND credential_id IN"
            " (SELECT hash FROM api_tokens WHERE expires_at > 0 AND expires_at < ?)"),
            bind(cutoff), Poco::Data::Keywords::now;
        Poco::Data::Statement remove(session);
        remove << _database.translate(
            "DELETE FROM api_tokens WHERE expires_at > 0 AND expires_at < ?"),
            bind(cutoff);
        deleted = remove.execute();
    });
    return deleted;
}

} // namespace comfygate::auth
