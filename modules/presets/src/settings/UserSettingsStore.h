#pragma once

#include "comfygate/Database.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace comfygate::presets {

/// The values users changed away from the defaults (table presets_user_settings), one row per
/// user and dotted path, the value as JSON text. Thread safe (the database is).
class UserSettingsStore
{
public:
    explicit UserSettingsStore(Database& database) : _database(database) {}

    /// Path → JSON text of the user's stored values.
    std::map<std::string, std::string> modified(const std::string& userId);

    /// Applies every change in one transaction, so a request's changes land together or not at
    /// all: a value is stored (replacing the old one), nullopt removes the row (back to the
    /// default).
    void apply(const std::string& userId, const std::map<std::string, std::optional<std::string>>& changes,
               std::int64_t now);

private:
    Database& _database;
};

} // namespace comfygate::presets
