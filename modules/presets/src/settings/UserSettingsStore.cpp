#include "UserSettingsStore.h"

#include <Poco/Data/Session.h>

using namespace Poco::Data::Keywords;

namespace comfygate::presets {

std::map<std::string, std::string> UserSettingsStore::modified(const std::string& userId)
{
    std::map<std::string, std::string> values;
    for (const auto& row :
         _database.select("SELECT path, value_json FROM presets_user_settings WHERE user_id = ?", {userId}))
        values.emplace(row[0].convert<std::string>(), row[1].convert<std::string>());
    return values;
}

void UserSettingsStore::apply(const std::string& userId,
                              const std::map<std::string, std::optional<std::string>>& changes, std::int64_t now)
{
    if (changes.empty())
        return;
    const std::string upsert = _database.translate(
        "INSERT INTO presets_user_settings (user_id, path, value_json, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user_id, path) DO UPDATE SET value_json = excluded.value_json, updated_at = "
        "excluded.updated_at");
    const std::string remove = _database.translate("DELETE FROM presets_user_settings WHERE user_id = ? AND path = ?");
    _database.write([&](Poco::Data::Session& session) {
        for (const auto& [path, json] : changes) {
            std::string id = userId;
            std::string key = path;
            if (json) {
                std::string value = *json;
                Poco::Int64 at = now;
                session << upsert, bind(id), bind(key), bind(value), bind(at), Poco::Data::Keywords::now;
            } else {
                session << remove, bind(id), bind(key), Poco::Data::Keywords::now;
            }
        }
    });
}

} // namespace comfygate::presets
