#pragma once

#include "comfygate/Database.h"

#include <optional>
#include <set>
#include <string>

namespace comfygate::presets {

/// SwarmUI's generic per-user data (`<user>///$<dataname>///<name>`): one JSON text per user
/// and document name, in `presets_user_documents`.
class UserDocumentStore
{
public:
    static constexpr const char* starredModels = "starred_models";
    static constexpr const char* modelPresetLinks = "model_preset_links";
    static constexpr const char* paramEdits = "param_edits";

    explicit UserDocumentStore(Database& database) : _database(database) {}

    std::optional<std::string> get(const std::string& userId, const std::string& name);
    /// Replaces the document (one transaction).
    void put(const std::string& userId, const std::string& name, const std::string& json);

    std::set<std::string> owners();
    void removeOwner(const std::string& userId);

private:
    Database& _database;
};

} // namespace comfygate::presets
