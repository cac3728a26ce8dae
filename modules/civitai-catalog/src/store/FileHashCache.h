#pragma once

#include <Poco/Mutex.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace comfygate::civitaicatalog {

/// SHA-256 of files on disk, remembered by path, size and modification time, so asking
/// whether a multi-GB model is the catalog's file hashes it once, not on every lookup.
class FileHashCache
{
public:
    /// Lower-case hex SHA-256, nothing when the file does not exist or cannot be read.
    std::optional<std::string> sha256(const std::filesystem::path& path);

private:
    struct Stamp
    {
        std::uintmax_t size;
        std::filesystem::file_time_type modified;
        std::string sha256;
    };

    Poco::FastMutex _mutex;
    std::map<std::string, Stamp> _known;
};

} // namespace comfygate::civitaicatalog
