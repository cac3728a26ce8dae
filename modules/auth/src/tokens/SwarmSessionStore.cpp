#include "SwarmSessionStore.h"

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include <algorithm>
#include <stdexcept>

using namespace Poco::Data::Keywords;

namespace comfygate::auth {

namespace {


const std::string selectSwarm =
    "SELECT s.user_id, s.credential_kind, s.credential_id, s.created_at, s.last_used_at"
    " FROM swarm_sessions s ";

// The credential of swarm_sessions row `s` is valid at the time bound to the placeholders.
const std::string credentialLive =
    "((s.credential_kind = 'session' AND EXISTS (SELECT 1 FROM session_tokens t"
    "   WHERE t.jti = s.credential_id AND t.revoked = 0 AND (t.expires_at = 0 OR"
    "   t.expires_at > ?)))"
    " OR (s.credential_kind = 'api_token' AND EXISTS (SELECT 1 FROM api_tokens a"
    "   WHERE a.hash = s.credential_id AND (a.expires_at = 0 OR a.expires_at > ?))))"
    " AND s.created_at >= (SELECT u.tokens_valid_after FROM users u WHERE u.id = s.user_id)";

void requireHash(const std::string& hash)
{
    const bool hex = std::all_of(hash.begin(), hash.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
    if (hash.size() != 64 || !hex)
        throw std::invalid_argument("a SwarmUI session hash is a SHA-256 in lower-case hex");
}

std::optional<SwarmSession> readOne(Poco::Data::Statement& statement,
                                    std::vector<std::string>& users,
                                    std::vector<std::string>& kinds,
                                    std::vector<std::string>& ids,
                                    std::vector<Poco::Int64>& created,
                                    std::vector<Poco::Int64>& lastUsed)
{
    statement.execute();
    if (users.empty())
        return std::nullopt;
    return SwarmSession{users[0], kinds[0], ids[0], created[0], lastUsed[0]};
}

} // namespace

SwarmSessionStore::SwarmSessionStore(Database& database, Database& lastUseDatabase)
    : _database(database), _lastUse(lastUseDatabase, touchIntervalSeconds)
{
}

void SwarmSessionStore::create(const std::string& sessionHash, const std::string& userId,
                               const std::string& credentialKind,
                               const std::string& credentialId, std::int64_t now)
{
    requireHash(sessionHash);
    std::string credentialQuery;
    if (credentialKind == "session")
        credentialQuery = "SELECT user_id FROM session_tokens WHERE jti = ?";
    else if (credentialKind == "api_token")
        credentialQuery = "SELECT user_id FROM api_tokens WHERE hash = ?";
    else
        throw std::invalid_argument("a SwarmUI session's credential kind is session or api_token");
    const Poco::Int64 at = now;
    _database.write([&](Poco::Data::Session& session) {
        std::vector<std::string> owners;
        session << _database.translate(credentialQuery), into(owners), bind(credentialId),
            Poco::Data::Keywords::now;
        if (owners.empty() || owners[0] != userId)
            throw std::invalid_argument("the credential does not exist or is not the user's");
        session << _database.translate(
            "INSERT INTO swarm_sessions (session_hash, user_id, credential_kind, credential_id,"
            " created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)"),
            bind(sessionHash), bind(userId), bind(credentialKind), bind(credentialId), bind(at),
            bind(at), Poco::Data::Keywords::now;
    });
    _lastUse.written(sessionHash, now);
}

std::optional<SwarmSession> SwarmSessionStore::find(const std::string& sessionHash)
{
    std::vector<std::string> users, kinds, ids;
    std::vector<Poco::Int64> created, lastUsed;
    Poco::Data::Session session = _database.session();
    Poco::Data::Statement select(session);
    select << _database.translate(selectSwarm + "WHERE s.session_hash = ?"), into(users),
        into(kinds), into(ids), into(created), into(lastUsed), bind(sessionHash);
    return readOne(select, users, kinds, ids, created, lastUsed);
}

std::optional<SwarmSession> SwarmSessionStore::findLive(const std::string& sessionHash,
                                                        std::int64_t now)
{
    std::vector<std::string> users, kinds, ids;
    std::vector<Poco::Int64> created, lastUsed;
    const Poco::Int64 at = now;
    Poco::Data::Session session = _database.session();
    Poco::Data::Statement select(session);
    select << _database.translate(selectSwarm + "WHERE s.session_hash = ? AND " + credentialLive),
        into(users), into(kinds), into(ids), into(created), into(lastUsed), bind(sessionHash),
        bind(at), bind(at);
    return readOne(select, users, kinds, ids, created, lastUsed);
}

std::size_t SwarmSessionStore::removeForCredential(const std::string& credentialKind,
                                                   const std::string& credentialId)
{
    std::size_t deleted = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement remove(session);
        remove << _database.translate("DELETE FROM swarm_sessions WHERE credential_kind = ? AND"
                                      " credential_id = ?"),
            bind(credentialKind), bind(credentialId);
        deleted = remove.execute();
    });
    return deleted;
}

std::size_t SwarmSessionStore::removeForUser(const std::string& userId)
{
    std::size_t deleted = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement remove(session);
        remove << _database.translate("DELETE FROM swarm_sessions WHERE user_id = ?"),
            bind(userId);
        deleted = remove.execute();
    });
    return deleted;
}

bool SwarmSessionStore::remove(const std::string& sessionHash)
{
    std::size_t deleted = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement remove(session);
        remove << _database.translate("DELETE FROM swarm_sessions WHERE session_hash = ?"),
            bind(sessionHash);
        deleted = remove.execute();
    });
    return deleted == 1;
}

bool SwarmSessionStore::touch(const std::string& sessionHash, std::int64_t now)
{
    return _lastUse.touch("swarm_sessions", "session_hash", sessionHash, now);
}

std::size_t SwarmSessionStore::purgeStale(std::int64_t idleSeconds, std::int64_t now)
{
    const Poco::Int64 at = now;
    const Poco::Int64 idleBefore = now - idleSeconds;
    std::size_t deleted = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement remove(session);
        remove << _database.translate("DELETE FROM swarm_sessions WHERE session_hash IN (SELECT"
                                      " s.session_hash FROM swarm_sessions s WHERE"
                                      " s.last_used_at < ? OR NOT (" + credentialLive + "))"),
            bind(idleBefore), bind(at), bind(at);
        deleted = remove.execute();
    });
    return deleted;
}

} // namespace comfygate::auth
