#pragma once

#include "comfygate/Permissions.h"

#include <string>
#include <vector>

namespace comfygate::presets {

/// SwarmUI's default tiers (reference §3.1) as comfygate roles.
enum class SwarmTier
{
    Nobody,     ///< owner only
    Admins,     ///< owner, admin
    PowerUsers, ///< owner, admin, power
    User,       ///< every registered role but guest
    Guest       ///< all five roles
};

/// The roles a tier grants by default.
std::vector<std::string> rolesOf(SwarmTier tier);

/// Declares the SwarmUI permission ids the settings, language, key and server routes use, with
/// SwarmUI's default tiers (reference §3.3) plus comfygate's `can_see_restricted_settings`.
void declareSwarmPermissions(PermissionRegistry& permissions);

} // namespace comfygate::presets
