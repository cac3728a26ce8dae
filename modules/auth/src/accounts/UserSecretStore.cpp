#include "UserSecretStore.h"

#include "UserStore.h"

#include <Poco/Data/Session.h>
#include <Poco/RegularExpression.h>

#include <ctime>
#include <stdexcept>

using namespace Poco::Data::Keywords;

namespace comfygate::auth {

namespace {

void validateProvider(const std::string& provider)
{
    static const Poco::RegularExpression pattern("^[a-z0-9_-]{1,32}$");
    if (!pattern.match(provider))
        throw std::invalid_argument("a provider name has 1 to 32 characters a-z, 0-9, _ or -");
}

std::string aad(const std::string& userId, const std::string& provider)
{
    return "user:" + userId + "|" + provider;
}

} // namespace

UserSecretStore::UserSecretStore(Database& database, Secrets& secrets) :
    _database(database), _secrets(secrets)
{
}

void UserSecretStore::set(const std::string& userId, const std::string& provider,
                          const std::string& secret)
{
    validateProvider(provider);
    if (secret.empty()) {
        clear(userId, provider);
        return;
    }
    const std::string sealed = _secrets.seal(secret, aad(userId, provider));
    const Poco::Int64 at = static_cast<Poco::Int64>(std::time(nullptr));
    _database.write([&](Poco::Data::Session& session) {
        UserStore::requireExists(_database, session, userId);
        session << _database.translate(
            "INSERT INTO user_secrets (user_id, provider, sealed, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id, provider) DO UPDATE SET sealed = excluded.sealed,"
            " updated_at = excluded.updated_at"),
            bind(userId), bind(provider), bind(sealed), bind(at), now;
    });
}

void UserSecretStore::clear(const std::string& userId, const std::string& provider)
{
    validateProvider(provider);
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate(
            "DELETE FROM user_secrets WHERE user_id = ? AND provider = ?"),
            bind(userId), bind(provider), now;
    });
}

std::vector<std::string> UserSecretStore::providers(const std::string& userId)
{
    std::vector<std::string> names;
    Poco::Data::Session session = _database.session();
    session << _database.translate(
        "SELECT provider FROM user_secrets WHERE user_id = ? ORDER BY provider"),
        into(names), bind(userId), now;
    return names;
}

std::optional<std::string> UserSecretStore::use(const std::string& userId,
                                                const std::string& provider)
{
    validateProvider(provider);
    std::vector<std::string> sealed;
    {
        Poco::Data::Session session = _database.session();
        session << _database.translate(
            "SELECT sealed FROM user_secrets WHERE user_id = ? AND provider = ?"),
            into(sealed), bind(userId), bind(provider), now;
    }
    if (sealed.empty())
        return std::nullopt;
    return _secrets.open(sealed[0], aad(userId, provider));
}

std::int64_t UserSecretStore::updatedAt(const std::string& userId, const std::string& provider)
{
    validateProvider(provider);
    std::vector<Poco::Int64> at;
    Poco::Data::Session session = _database.session();
    session << _database.translate(
        "SELECT updated_at FROM user_secrets WHERE user_id = ? AND provider = ?"),
        into(at), bind(userId), bind(provider), now;
    return at.empty() ? 0 : at[0];
}

} // namespace comfygate::auth
