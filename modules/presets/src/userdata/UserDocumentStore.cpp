#include "UserDocumentStore.h"

#include <Poco/Data/Session.h>

#include <chrono>

using namespace Poco::Data::Keywords;

namespace comfygate::presets {

std::optional<std::string> UserDocumentStore::get(const std::string& userId, const std::string& name)
{
    const auto rows =
        _database.select("SELECT value FROM presets_user_documents WHERE user_id = ? AND name = ?", {userId, name});
    if (rows.empty() || rows.front()[0].isEmpty())
        return std::nullopt;
    return rows.front()[0].convert<std::string>();
}

void UserDocumentStore::put(const std::string& userId, const std::string& name, const std::string& json)
{
    _database.write([&](Poco::Data::Session& session) {
        std::string u = userId, n = name, v = json;
        Poco::Int64 updated =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        // Delete and insert: portable across SQLite and PostgreSQL without an upsert dialect.
        session << _database.translate("DELETE FROM presets_user_documents WHERE user_id = ? AND name = ?"), use(u),
            use(n), now;
        session << _database.translate(
            "INSERT INTO presets_user_documents (user_id, name, value, updated_ms) VALUES (?, ?, ?, ?)"),
            use(u), use(n), use(v), use(updated), now;
    });
}

std::set<std::string> UserDocumentStore::owners()
{
    std::set<std::string> owners;
    for (const auto& row : _database.select("SELECT DISTINCT user_id FROM presets_user_documents", {}))
        owners.insert(row[0].convert<std::string>());
    return owners;
}

void UserDocumentStore::removeOwner(const std::string& userId)
{
    _database.write([&](Poco::Data::Session& session) {
        std::string u = userId;
        session << _database.translate("DELETE FROM presets_user_documents WHERE user_id = ?"), use(u), now;
    });
}

} // namespace comfygate::presets
