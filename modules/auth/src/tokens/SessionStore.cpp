#include "SessionStore.h"

#include "UserStore.h"

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include <stdexcept>

using namespace Poco::Data::Keywords;

namespace comfygate::auth {

namespace {

constexpr std::int64_t purgeAfterSeconds = 86400;

// Header values may carry any bytes; PostgreSQL refuses text that is not UTF-8.
std::string printable(const std::string& text, std::size_t maxBytes)
{
    std::string out = text.substr(0, maxBytes);
    for (char& c : out) {
        if (c < 0x20 || c > 0x7e)
            c = '?';
    }
    return out;
}

const std::string selectSessions = "SELECT jti, user_id, created_at, last_used_at, expires_at,"
                                   " revoked, client_address, user_agent FROM session_tokens ";

} // namespace

SessionStore::SessionStore(Database& database, Database& lastUseDatabase)
    : _database(database), _lastUse(lastUseDatabase, touchIntervalSeconds)
{
}

void SessionStore::create(const std::string& jti, const std::string& userId,
                          std::int64_t createdAt, std::int64_t expiresAt,
                          const std::string& clientAddress, const std::string& userAgent)
{
    if (jti.empty() || jti.size() > 128)
        throw std::invalid_argument("a session jti has 1 to 128 characters");
    const std::string address = printable(clientAddress, 64);
    const std::string agent = printable(userAgent, 512);
    _database.write([&](Poco::Data::Session& session) {
        UserStore::requireExists(_database, session, userId);
        session << _database.translate(
            "INSERT INTO session_tokens (jti, user_id, created_at, last_used_at, expires_at,"
            " revoked, client_address, user_agent) VALUES (?, ?, ?, ?, ?, 0, ?, ?)"),
            bind(jti), bind(userId), bind(static_cast<Poco::Int64>(createdAt)),
            bind(static_cast<Poco::Int64>(createdAt)), bind(static_cast<Poco::Int64>(expiresAt)),
            bind(address), bind(agent), now;
    });
    _lastUse.written(jti, createdAt);
}

std::optional<Session> SessionStore::find(const std::string& jti)
{
    std::vector<std::string> jtis, users, addresses, agents;
    std::vector<Poco::Int64> created, lastUsed, expires;
    std::vector<int> revoked;
    Poco::Data::Session session = _database.session();
    session << _database.translate(selectSessions + "WHERE jti = ?"), into(jtis), into(users),
        into(created), into(lastUsed), into(expires), into(revoked), into(addresses),
        into(agents), bind(jti), now;
    if (jtis.empty())
        return std::nullopt;
    return Session{jtis[0],    users[0],       created[0],   lastUsed[0],
                   expires[0], revoked[0] != 0, addresses[0], agents[0]};
}

bool SessionStore::touch(const std::string& jti, std::int64_t now)
{
    return _lastUse.touch("session_tokens", "jti", jti, now);
}

bool SessionStore::revoke(const std::string& jti)
{
    std::size_t changed = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement update(session);
        update << _database.translate(
            "UPDATE session_tokens SET revoked = 1 WHERE jti = ? AND revoked = 0"),
            bind(jti);
        changed = update.execute();
        session << _database.translate("DELETE FROM swarm_sessions WHERE credential_kind ="
                                       " 'session' AND credential_id = ?"),
            bind(jti), now;
    });
    return changed == 1;
}

std::size_t SessionStore::revokeForUser(const std::string& userId, const std::string& exceptJti)
{
    std::size_t changed = 0;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate(
            "DELETE FROM swarm_sessions WHERE credential_kind = 'session' AND credential_id IN"
            " (SELECT jti FROM session_tokens WHERE user_id = ? AND jti <> ?)"),
            bind(userId), bind(exceptJti), now;
        Poco::Data::Statement update(session);
        update << _database.translate("UPDATE session_tokens SET revoked = 1 WHERE user_id = ?"
                                      " AND jti <> ? AND revoked = 0"),
            bind(userId), bind(exceptJti);
        changed = update.execute();
    });
    return changed;
}

std::vector<Session> SessionStore::listForUser(const std::string& userId, std::int64_t now)
{
    std::vector<std::string> jtis, users, addresses, agents;
    std::vector<Poco::Int64> created, lastUsed, expires;
    std::vector<int> revoked;
    Poco::Data::Session session = _database.session();
    session << _database.translate(selectSessions
                                   + "WHERE user_id = ? AND revoked = 0 AND (expires_at = 0 OR"
                                     " expires_at > ?) ORDER BY created_at DESC, jti"),
        into(jtis), into(users), into(created), into(lastUsed), into(expires), into(revoked),
        into(addresses), into(agents), bind(userId), bind(static_cast<Poco::Int64>(now)),
        Poco::Data::Keywords::now;
    std::vector<Session> sessions;
    for (std::size_t i = 0; i < jtis.size(); ++i)
        sessions.push_back({jtis[i], users[i], created[i], lastUsed[i], expires[i],
                            revoked[i] != 0, addresses[i], agents[i]});
    return sessions;
}

std::size_t SessionStore::revokeIdle(std::int64_t idleSeconds, std::int64_t now)
{
    const Poco::Int64 cutoff = now - idleSeconds;
    std::size_t changed = 0;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate(
            "DELETE FROM swarm_sessions WHERE credential_kind = 'session' AND credential_id IN"
            " (SELECT jti FROM session_tokens WHERE revoked = 0 AND last_used_at < ?)"),
            bind(cutoff), Poco::Data::Keywords::now;
        Poco::Data::Statement update(session);
        update << _database.translate(
            "UPDATE session_tokens SET revoked = 1 WHERE revoked = 0 AND last_used_at < ?"),
            bind(cutoff);
        changed = update.execute();
    });
    return changed;
}

std::size_t SessionStore::purgeExpired(std::int64_t now)
{
    const Poco::Int64 cutoff = now - purgeAfterSeconds;
    const std::string condition = "(expires_at > 0 AND expires_at < ?) OR (revoked = 1 AND"
                                  " last_used_at < ?)";
    std::size_t deleted = 0;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate(
            "DELETE FROM swarm_sessions WHERE credential_kind = 'session' AND credential_id IN"
            " (SELECT jti FROM session_tokens WHERE " + condition + ")"),
            bind(cutoff), bind(cutoff), Poco::Data::Keywords::now;
        Poco::Data::Statement remove(session);
        remove << _database.translate("DELETE FROM session_tokens WHERE " + condition),
            bind(cutoff), bind(cutoff);
        deleted = remove.execute();
    });
    return deleted;
}

} // namespace comfygate::auth
