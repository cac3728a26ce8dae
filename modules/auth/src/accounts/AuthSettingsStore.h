#pragma once

#include "comfygate/Database.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace comfygate::auth {

/// Runtime settings an admin changes through the API (table auth_settings), such as
/// `allow_guest_jwt` or the groups table JSON. Names match ^[a-z0-9_.-]{1,100}$; values are
/// UTF-8 text (std::invalid_argument otherwise). Thread safe.
class AuthSettingsStore
{
public:
    explicit AuthSettingsStore(Database& database);

    std::optional<std::string> get(const std::string& name);
    void set(const std::string& name, const std::string& value, std::int64_t now);
    /// @return false when the setting was not stored.
    bool remove(const std::string& name);
    /// Every stored setting by name.
    std::map<std::string, std::string> all();
    /// When the setting was last set (Unix seconds); 0 when it is not stored.
    std::int64_t updatedAt(const std::string& name);

private:
    Database& _database;
};

} // namespace comfygate::auth
