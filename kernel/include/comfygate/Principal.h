#pragma once

#include <set>
#include <string>
#include <vector>

namespace comfygate {

/// The roles every comfygate installation knows, from most to least privileged.
inline const std::vector<std::string>& knownRoles()
{
    static const std::vector<std::string> roles{"owner", "admin", "power", "user", "guest"};
    return roles;
}

/// Who is making a request. Filled by the authenticator the auth module registers; the
/// kernel resolves `permissions` from the role, the groups and the `groups` policy hook.
struct Principal
{
    bool authenticated = false;
    std::string userId;
    std::string username;
    std::string role = "guest";
    std::vector<std::string> groups;
    std::set<std::string> permissions;
    std::string tokenKind; ///< "session", "api_token", "swarm_session", ... ; empty when anonymous
    std::string sessionId; ///< the session's jti or id, when the credential is a session
    bool sfwCheck = true;
    bool mfaEnabled = false; ///< the user has a second factor (TOTP) enrolled
    long long createdAt = 0; ///< when the account was created, Unix seconds; 0 when unknown

    bool has(const std::string& permission) const { return permissions.count(permission) != 0; }
    bool isAdmin() const { return role == "owner" || role == "admin"; }

    static Principal anonymous() { return Principal{}; }
};

} // namespace comfygate
