#pragma once

namespace comfygate {
class PermissionRegistry;
}

namespace comfygate::presets {

/// The permission ids of the module: SwarmUI's (reference §3.3) with SwarmUI's default tiers
/// mapped to comfygate's roles (GUEST: every role, USER: up to user, ADMINS: owner and admin),
/// plus manage_shared_presets for publishing presets to everyone (comfygate's own).
struct PresetPermissions
{
    static constexpr const char* generateTab = "fundamental_generate_tab_access";
    static constexpr const char* modelAccess = "fundamental_model_access";
    static constexpr const char* managePresets = "manage_presets";
    static constexpr const char* manageSharedPresets = "manage_shared_presets";
    static constexpr const char* editParams = "edit_params";

    static void declareAll(PermissionRegistry& permissions);
};

} // namespace comfygate::presets
