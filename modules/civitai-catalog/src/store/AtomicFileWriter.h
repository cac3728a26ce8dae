#pragma once

#include <filesystem>
#include <string>

namespace comfygate::civitaicatalog {

/// Replaces a file so that a reader (or a crash) sees the old or the new content, never a
/// mix: temp file in the same directory, fsync, rename over the target, fsync the directory.
/// The kernel's own helper is not part of the module SDK.
class AtomicFileWriter
{
public:
    /// Throws std::runtime_error naming the path on any failure (the temp file is removed).
    static void write(const std::filesystem::path& target, const std::string& content);
};

} // namespace comfygate::civitaicatalog
