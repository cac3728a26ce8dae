#include "UserDirectoryService.h"

namespace comfygate::auth {

services::UserInfo UserDirectoryService::infoOf(const User& user)
{
    return {user.id, user.username, user.role, user.groups, user.role == "guest" || user.sfwCheck, user.mfaEnabled};
}

std::optional<services::UserInfo> UserDirectoryService::findByName(const std::string& username)
{
    const auto user = _users.findByName(username);
    return user ? std::optional(infoOf(*user)) : std::nullopt;
}

std::optional<services::UserInfo> UserDirectoryService::findById(const std::string& userId)
{
    const auto user = _users.findById(userId);
    return user ? std::optional(infoOf(*user)) : std::nullopt;
}

std::vector<services::UserInfo> UserDirectoryService::list()
{
    std::vector<services::UserInfo> out;
    for (const auto& user : _users.list())
        out.push_back(infoOf(user));
    return out;
}

} // namespace comfygate::auth
