#include "PromptOwners.h"

#include <Poco/Data/Statement.h>

using namespace Poco::Data::Keywords;

namespace comfygate::comfyproxy {

bool PromptOwners::record(const std::string& promptId, const std::string& userId, const std::string& clientId,
                          std::int64_t now)
{
    bool inserted = false;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement insert(session);
        insert << _database.translate("INSERT INTO comfy_prompts (prompt_id, user_id, client_id, created_at)"
                                      " VALUES (?, ?, ?, ?) ON CONFLICT (prompt_id) DO NOTHING"),
            bind(promptId), bind(userId), bind(clientId), bind(static_cast<Poco::Int64>(now));
        inserted = insert.execute() == 1;
    });
    return inserted;
}

void PromptOwners::forget(const std::string& promptId)
{
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate("DELETE FROM comfy_prompts WHERE prompt_id = ?"), bind(promptId), now;
    });
}

std::optional<std::string> PromptOwners::ownerOf(const std::string& promptId)
{
    std::vector<std::string> owners;
    Poco::Data::Session session = _database.session();
    session << _database.translate("SELECT user_id FROM comfy_prompts WHERE prompt_id = ?"), bind(promptId),
        into(owners), now;
    if (owners.empty())
        return std::nullopt;
    return owners.front();
}

std::set<std::string> PromptOwners::promptsOf(const std::string& userId)
{
    std::vector<std::string> ids;
    Poco::Data::Session session = _database.session();
    session << _database.translate("SELECT prompt_id FROM comfy_prompts WHERE user_id = ?"), bind(userId),
        into(ids), now;
    return {ids.begin(), ids.end()};
}

} // namespace comfygate::comfyproxy
