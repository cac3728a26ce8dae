#pragma once

#include "comfygate/BoundedCache.h"
#include "comfygate/Permissions.h"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace comfygate {

class PolicyEngine;

/// The declared permissions and the role -> flag table of etc/groups.json. A user's effective
/// set: every declared permission for the owner; otherwise, for the role and each extra
/// group, the flag from groups.json or, when silent, the permission's default roles; then the
/// `groups` policy hook may add or remove ids.
///
/// Effective sets are memoised per (username, role, groups), the hook's whole input, for as
/// long as the declarations, the role table and the policy generation stay the same (any
/// change drops them all). So the `groups` hook must answer from its arguments and the
/// policy settings alone (no clock); `permissions.effective_cache_entries = 0` turns the
/// memo off for a hook that does not. A hook that failed is not memoised.
class PermissionTable : public PermissionRegistry
{
public:
    /// `effectiveCacheEntries`: how many effective sets to memoise (0: none).
    explicit PermissionTable(std::size_t effectiveCacheEntries = 0) : _effectiveCache(effectiveCacheEntries) {}

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
    void setPolicy(PolicyEngine* policy);

    /// The memo of effective sets, for /metrics.
    const BoundedCache<std::set<std::string>, std::pair<std::uint64_t, std::uint64_t>>& effectiveCache() const
    {
        return _effectiveCache;
    }

    static bool isValidId(const std::string& id);

private:
    /// What the effective sets depend on besides the principal: this table's own changes and
    /// the policy generation.
    using Generation = std::pair<std::uint64_t, std::uint64_t>;

    bool grants(const std::string& group, const PermissionSpec& spec) const;
    Generation generation() const;
    /// The effective set; `memoisable` false when the hook failed (its fail mode applied).
    std::set<std::string> compute(const std::string& username, const std::string& role,
                                  const std::vector<std::string>& groups, bool& memoisable) const;

    mutable std::mutex _mutex;
    std::map<std::string, PermissionSpec> _declared;
    std::map<std::string, std::map<std::string, bool>> _groups;
    PolicyEngine* _policy = nullptr;
    std::atomic<std::uint64_t> _changes{0}; ///< declarations, role table and policy changes
    mutable BoundedCache<std::set<std::string>, Generation> _effectiveCache;
};

} // namespace comfygate
