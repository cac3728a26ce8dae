#include "PresetPermissions.h"

#include "comfygate/Permissions.h"

namespace comfygate::presets {

void PresetPermissions::declareAll(PermissionRegistry& permissions)
{
    const std::vector<std::string> guestTier{"owner", "admin", "power", "user", "guest"};
    const std::vector<std::string> userTier{"owner", "admin", "power", "user"};
    const std::vector<std::string> adminTier{"owner", "admin"};
    permissions.declare(
        {generateTab, "use the Generate tab: your user data, presets and status", "swarmui", guestTier});
    permissions.declare(
        {modelAccess, "see models and keep your starred models and model-preset links", "swarmui", guestTier});
    permissions.declare({managePresets, "add, edit, duplicate and delete your own presets", "swarmui", userTier});
    permissions.declare({editParams, "keep your own edits of generation parameters", "swarmui", userTier});
    permissions.declare({manageSharedPresets,
                         "publish your presets read-only to every user, and take shared presets down", "swarmui",
                         adminTier});
}

} // namespace comfygate::presets
