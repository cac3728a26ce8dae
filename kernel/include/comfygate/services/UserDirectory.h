#pragma once

#include <optional>
#include <string>
#include <vector>

namespace comfygate::services {

/// A user as other modules see it (published by the auth module as "auth.users").
struct UserInfo
{
    std::string id;
    std::string username;
    std::string role;
    std::vector<std::string> groups;
    bool sfwCheck = true;
    bool mfaEnabled = false;
};

/// Looks users up; never exposes credentials.
class UserDirectory
{
public:
    static constexpr const char* serviceName = "auth.users";

    virtual ~UserDirectory() = default;
    virtual std::optional<UserInfo> findByName(const std::string& username) = 0;
    virtual std::optional<UserInfo> findById(const std::string& userId) = 0;
    virtual std::vector<UserInfo> list() = 0;
};

} // namespace comfygate::services
