#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace comfygate {

/// manifest.json of a backup archive: what wrote it, which migrations every owner had applied
/// at the backup's consistent point, and a SHA-256 of every other file in the archive.
struct BackupManifest
{
    static constexpr int formatVersion = 1;
    static constexpr const char* fileName = "manifest.json";

    struct File
    {
        std::string sha256;
        long long size = 0;
    };
    using Migrations = std::vector<std::pair<int, std::string>>;

    std::string comfygateVersion;
    std::string createdAt; ///< ISO 8601, UTC
    std::string databaseBackend; ///< "sqlite" or "postgresql"
    bool databaseIncluded = false;
    std::map<std::string, Migrations> schema; ///< owner -> applied migrations
    std::map<std::string, File> files;        ///< archive name -> checksum

    std::string toJson() const;
    /// Throws std::runtime_error when the text is not a manifest of a format this build reads.
    static BackupManifest parse(const std::string& json);
};

} // namespace comfygate
