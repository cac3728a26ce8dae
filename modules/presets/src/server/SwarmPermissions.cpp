#include "SwarmPermissions.h"

#include "comfygate/Principal.h"

namespace comfygate::presets {

std::vector<std::string> rolesOf(SwarmTier tier)
{
    // knownRoles() runs from most to least privileged; a tier keeps a prefix of it.
    const auto& roles = knownRoles();
    const std::size_t count = static_cast<std::size_t>(tier) + 1;
    return {roles.begin(), roles.begin() + static_cast<std::ptrdiff_t>(std::min(count, roles.size()))};
}

void declareSwarmPermissions(PermissionRegistry& permissions)
{
    struct Declared
    {
        const char* id;
        const char* description;
        SwarmTier tier;
    };
    static const Declared table[] = {
        {"fundamental_generate_tab_access", "the basics of the generate tab (status, languages, your user data)",
         SwarmTier::Guest},
        {"read_user_settings", "read your own settings and whether your API keys are set", SwarmTier::Guest},
        {"edit_user_settings", "change your own settings and API keys", SwarmTier::User},
        {"basic_image_generation", "generate images, and cancel your own generations", SwarmTier::User},
        {"can_see_restricted_settings", "see restricted settings (such as Roles) in the settings page",
         SwarmTier::Admins},
        {"server_debug_message", "write a message into the server log (ServerDebugMessage)", SwarmTier::Nobody},
        {"install", "run SwarmUI's installer (always refused: comfygate is installed by its package)",
         SwarmTier::Nobody},
    };
    for (const auto& entry : table)
        permissions.declare({entry.id, entry.description, "swarmui", rolesOf(entry.tier)});
}

} // namespace comfygate::presets
