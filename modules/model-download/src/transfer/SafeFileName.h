#pragma once

#include <string>

namespace comfygate::modeldownload {

/// The rules for a name a downloaded file may carry inside its target folder. Names come
/// from source metadata (CivitAI `files[].name`, a Hugging Face path), so they are untrusted:
/// a name is one path component, never `.`/`..`, never hidden, free of control characters
/// and separators, short enough for the `.part.json` companion, and not one of our own
/// working names (`*.part`, `*.part.json`).
class SafeFileName
{
public:
    /// Empty when `name` may be used as is, else why it may not (for an error message).
    static std::string problem(const std::string& name);

    static bool isSafe(const std::string& name) { return problem(name).empty(); }

    /// The last path component of a source's name (`a/b/model.safetensors` →
    /// `model.safetensors`, backslashes count as separators), checked with problem().
    /// Throws std::invalid_argument naming the problem.
    static std::string fromSource(const std::string& sourceName);

    /// Longest accepted name in bytes: 255 (NAME_MAX) minus the ".part.json" suffix.
    static constexpr std::size_t maxLength = 245;
};

} // namespace comfygate::modeldownload
