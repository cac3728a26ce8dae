#pragma once

#include <set>
#include <string>
#include <vector>

namespace comfygate {

/// A permission a module declares. Ids follow the external APIs (`can_run`,
/// `can_download_models`, `manage_presets`, ...).
struct PermissionSpec
{
    std::string id;
    std::string description;
    std::string group;                     ///< for documentation and admin pages, e.g. "comfyui"
    std::vector<std::string> defaultRoles; ///< roles that hold it when etc/groups.json is silent
};

class PermissionRegistry
{
public:
    virtual ~PermissionRegistry() = default;

    /// Declares a permission (only inside Module::start()). Declaring the same id twice with
    /// the same meaning is allowed (modules may share ids); throws on an invalid id.
    virtual void declare(const PermissionSpec& spec) = 0;

    virtual bool isDeclared(const std::string& id) const = 0;
    virtual std::vector<PermissionSpec> all() const = 0;

    /// The effective permission set of a user with this role and these groups, after
    /// etc/groups.json and the `groups` policy hook. The owner always holds every permission.
    virtual std::set<std::string> effective(const std::string& username, const std::string& role,
                                            const std::vector<std::string>& groups) const = 0;

    /// The role table as `{role: {permission: bool}}` JSON text: groups.json merged with the
    /// declared defaults, every declared permission listed for every role.
    virtual std::string groupsJson() const = 0;

    /// Replaces the role table with `{role: {permission: bool}}` JSON text (e.g. an admin's
    /// edit, persisted by the auth module). Throws std::invalid_argument for bad JSON or an
    /// undeclared permission id.
    virtual void setGroups(const std::string& jsonText) = 0;
};

} // namespace comfygate
