#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace comfygate {

class PolicyGeneration;

/// The policy scripts as files, for the console: what is on disk below the scripts
/// directory (`*.lua`, `lib/*.lua`, exactly the files a reload reads), one file's text, and
/// reload errors split into file, line and message. A name from a client is only ever
/// looked up among the listed names, so nothing outside the directory can be read.
class PolicyFiles
{
public:
    struct File
    {
        std::string name; ///< relative: "nsfw.lua", "lib/words.lua"
        std::int64_t size = 0;
        std::int64_t modified = 0; ///< Unix seconds
    };

    struct Problem
    {
        std::string file; ///< empty when the error names no script
        std::optional<int> line;
        std::string message;
    };

    explicit PolicyFiles(std::string scriptsDir) : _scriptsDir(std::move(scriptsDir)) {}

    std::vector<File> list() const;

    /// The text of a listed file; nothing when `name` is not one of list()'s names. Throws
    /// std::runtime_error when the file cannot be read or is larger than a reload accepts.
    std::optional<std::string> read(const std::string& name) const;

    /// Replaces the text of a listed file atomically (AtomicFile) and returns its previous
    /// text; nothing (and no write) when `name` is not one of list()'s names. Throws
    /// std::invalid_argument for a text larger than a reload accepts, std::runtime_error when
    /// the file cannot be read or written.
    std::optional<std::string> replace(const std::string& name, const std::string& text) const;

    /// Whether `generation` runs exactly `text` as the file `name` (a script, or a library
    /// "lib/<module>.lua").
    static bool isRunning(const PolicyGeneration& generation, const std::string& name, const std::string& text);

    /// "nsfw.lua:12: message" → {nsfw.lua, 12, message}; other texts keep only the message.
    static Problem parseError(const std::string& error);

private:
    std::string _scriptsDir;
};

} // namespace comfygate
