#pragma once

#include "UserStore.h"
#include "comfygate/services/UserDirectory.h"

namespace comfygate::auth {

/// The "auth.users" service: user lookups for other modules, without credentials.
class UserDirectoryService : public services::UserDirectory
{
public:
    explicit UserDirectoryService(UserStore& users) : _users(users) {}
    std::optional<services::UserInfo> findByName(const std::string& username) override;
    std::optional<services::UserInfo> findById(const std::string& userId) override;
    std::vector<services::UserInfo> list() override;

private:
    static services::UserInfo infoOf(const User& user);
    UserStore& _users;
};

} // namespace comfygate::auth
