#pragma once

#include "comfygate/Database.h"

#include <cstdint>
#include <optional>
#include <string>

namespace comfygate::modeldownload {

/// The download_files table: finished model files by folder and SHA-256, so a request for a
/// file that is already in its target folder completes without a transfer.
class ModelFileIndex
{
public:
    explicit ModelFileIndex(Database& database) : _database(database) {}

    /// Records (or replaces) a finished file.
    void record(const std::string& path, std::int64_t size, const std::string& sha256, std::int64_t now);
    /// A file in `directory` with this content that is still on disk with the recorded
    /// size; stale entries (file gone or changed size) are dropped on the way.
    std::optional<std::string> findInDirectory(const std::string& directory, const std::string& sha256);
    /// True when `path` is indexed with this content.
    bool holds(const std::string& path, const std::string& sha256);
    void forget(const std::string& path);

private:
    Database& _database;
};

} // namespace comfygate::modeldownload
