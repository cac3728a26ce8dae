#pragma once

#include "comfygate/Permissions.h"

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace comfygate {

class Policy;

/// The declared permissions and the role -> flag table of etc/groups.json. A user's effective
/// set: every declared permission for the owner; otherwise, for the role and each extra
/// group, the flag from groups.json or, when silent, the permission's default roles; then the
/// `groups` policy hook may add or remove ids.
class PermissionTable : public PermissionRegistry
{
public:
    void declare(const PermissionSpec& spec) override;
    bool isDeclared(const std::string& id) const override;
    std::vector<PermissionSpec> all() const override;
    std::set<std::string> effective(const std::string& username, const std::string& role,
                                    const std::vector<std::string>& groups) const override;

    /// Replaces the role table from groups.json text. Throws std::invalid_argument (naming
    /// `source`) when it is not an object of objects of booleans.
    void loadGroups(const std::string& jsonText, const std::string& source);

    /// Permission ids in groups.json that no loaded module declares (reported, never kept
    /// in an effective set).
    std::vector<std::string> unknownIds() const;

    std::string groupsJson() const override;
    void setGroups(const std::string& jsonText) override;

    /// The `groups` hook is consulted once the policy engine runs.
    void setPolicy(Policy* policy) { _policy = policy; }

    static bool isValidId(const std::string& id);

private:
    bool grants(const std::string& group, const PermissionSpec& spec) const;

    mutable std::mutex _mutex;
    std::map<std::string, PermissionSpec> _declared;
    std::map<std::string, std::map<std::string, bool>> _groups;
    Policy* _policy = nullptr;
};

} // namespace comfygate
