#pragma once

#include <string>
#include <sys/types.h>

namespace comfygate {

/// Crash-safe file replacement: write a temp file in the same directory, fsync it, rename
/// it over the target, fsync the directory. After a kill -9 the target holds either the
/// old or the new content, never a mix. Part of the module SDK, so modules do not write
/// their own (the target's directory must exist).
class AtomicFile
{
public:
    /// Throws std::runtime_error naming the path and the system error.
    static void write(const std::string& path, const std::string& content, mode_t mode = 0644);
    /// fsync of a directory, so a rename in it survives a power cut.
    static void syncDirectory(const std::string& directory);
};

} // namespace comfygate
