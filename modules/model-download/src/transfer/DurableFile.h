#pragma once

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace comfygate::modeldownload {

/// The POSIX steps that make a file survive a crash: complete writes, fsync of the file and
/// of the directory that names it, and a publish by rename that never replaces an existing
/// file. Every failure throws std::runtime_error naming the path and the system error.
class DurableFile
{
public:
    /// Writes all of `data` at the descriptor's position, retrying short writes and EINTR.
    static void writeAll(int fd, const char* data, std::size_t size, const std::filesystem::path& path);

    static void sync(int fd, const std::filesystem::path& path);
    static void syncDirectory(const std::filesystem::path& directory);

    /// Renames `from` to `to` in one step, failing (errno EEXIST) when `to` exists.
    static void renameNoReplace(const std::filesystem::path& from, const std::filesystem::path& to);

    /// "<what> <path>: <strerror(errno)>"
    static std::runtime_error systemError(const std::string& what, const std::filesystem::path& path);
};

} // namespace comfygate::modeldownload
