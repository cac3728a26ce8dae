#include "AuthSettingsStore.h"

#include <comfygate/Utf8.h>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/RegularExpression.h>

#include <stdexcept>
#include <vector>

using namespace Poco::Data::Keywords;

namespace comfygate::auth {

namespace {

void validateName(const std::string& name)
{
    static const Poco::RegularExpression pattern("^[a-z0-9_.-]{1,100}$");
    if (!pattern.match(name))
        throw std::invalid_argument("a setting name has 1 to 100 characters a-z, 0-9, _, . or -");
}

} // namespace

AuthSettingsStore::AuthSettingsStore(Database& database) : _database(database)
{
}

std::optional<std::string> AuthSettingsStore::get(const std::string& name)
{
    std::vector<std::string> values;
    Poco::Data::Session session = _database.session();
    session << _database.translate("SELECT value FROM auth_settings WHERE name = ?"),
        into(values), bind(name), now;
    if (values.empty())
        return std::nullopt;
    return values[0];
}

void AuthSettingsStore::set(const std::string& name, const std::string& value, std::int64_t now)
{
    validateName(name);
    if (!isUtf8(value))
        throw std::invalid_argument("the value of setting '" + name + "' is not UTF-8 text");
    const Poco::Int64 at = now;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate(
            "INSERT INTO auth_settings (name, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at"),
            bind(name), bind(value), bind(at), Poco::Data::Keywords::now;
    });
}

bool AuthSettingsStore::remove(const std::string& name)
{
    std::size_t deleted = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement statement(session);
        statement << _database.translate("DELETE FROM auth_settings WHERE name = ?"), bind(name);
        deleted = statement.execute();
    });
    return deleted == 1;
}

std::map<std::string, std::string> AuthSettingsStore::all()
{
    std::vector<std::string> names, values;
    Poco::Data::Session session = _database.session();
    session << "SELECT name, value FROM auth_settings", into(names), into(values), now;
    std::map<std::string, std::string> settings;
    for (std::size_t i = 0; i < names.size(); ++i)
        settings.emplace(names[i], values[i]);
    return settings;
}

std::int64_t AuthSettingsStore::updatedAt(const std::string& name)
{
    std::vector<Poco::Int64> at;
    Poco::Data::Session session = _database.session();
    session << _database.translate("SELECT updated_at FROM auth_settings WHERE name = ?"),
        into(at), bind(name), now;
    return at.empty() ? 0 : at[0];
}

} // namespace comfygate::auth
