#pragma once

#include <filesystem>
#include <string>

namespace comfygate::civitaicatalog {

/// Crash-safe file replacement (DESIGN.md "Data"): a reader sees the old file or the whole
/// new one, never a part, and the new one survives a power cut once replace() returns.
class DurableWrite
{
public:
    /// Writes `content` to a temp file beside `target`, fsyncs it, renames it over `target`
    /// and fsyncs the directory. Creates the directory. Throws std::runtime_error.
    static void replace(const std::filesystem::path& target, const std::string& content);
};

} // namespace comfygate::civitaicatalog
