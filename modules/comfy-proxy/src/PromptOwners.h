#pragma once

#include "comfygate/Database.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>

namespace comfygate::comfyproxy {

/// Which user submitted which prompt. ComfyUI keeps one global queue and history; this
/// record is what lets the gateway show, clear and stream each user only their own items.
class PromptOwners
{
public:
    explicit PromptOwners(Database& database) : _database(database) {}

    /// Records the prompt; false when the prompt id is already taken (by anyone).
    bool record(const std::string& promptId, const std::string& userId, const std::string& clientId, std::int64_t now);
    void forget(const std::string& promptId);
    std::optional<std::string> ownerOf(const std::string& promptId);
    std::set<std::string> promptsOf(const std::string& userId);

private:
    Database& _database;
};

} // namespace comfygate::comfyproxy
