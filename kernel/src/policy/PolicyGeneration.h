#pragma once

#include "LuaSandbox.h"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace comfygate {

/// An immutable snapshot of the policy scripts: the source texts of `<dir>/*.lua` (in sorted
/// name order) and `<dir>/lib/*.lua`, the hook names that were declared when it was read and
/// the files' modification stamps. Worker threads build their lua_States from it, so a
/// generation never changes once it has been validated.
class PolicyGeneration
{
public:
    struct Script
    {
        std::string name; ///< file name, e.g. "nsfw.lua"; the chunk name in messages
        std::string source;
    };

    /// Relative file name ("nsfw.lua", "lib/words.lua") to (mtime in ns, size).
    using Stamps = std::map<std::string, std::pair<std::int64_t, std::int64_t>>;

    /// Largest script or library file read.
    static constexpr std::size_t maxFileSize = 1024 * 1024;

    /// The empty generation: no scripts, every hook allows.
    PolicyGeneration();

    /// Reads every script and library below `scriptsDir`. Problems (missing directory,
    /// unreadable or oversized file) are collected in readErrors() as "file: message".
    PolicyGeneration(std::uint64_t id, const std::string& scriptsDir,
                     std::set<std::string> hookNames);

    /// The current stamps of the files below `scriptsDir` (missing directory: empty).
    static Stamps stamp(const std::string& scriptsDir);

    std::uint64_t id() const { return _id; }
    const std::vector<Script>& scripts() const { return _scripts; }
    const std::shared_ptr<const LuaSandbox::Libraries>& libraries() const { return _libraries; }
    const std::set<std::string>& hookNames() const { return _hookNames; }
    const Stamps& stamps() const { return _stamps; }
    const std::vector<std::string>& readErrors() const { return _readErrors; }

    /// True when the files have the same names and contents as this generation's.
    bool sameSources(const std::string& scriptsDir) const;

private:
    std::uint64_t _id = 0;
    std::vector<Script> _scripts;
    std::shared_ptr<const LuaSandbox::Libraries> _libraries;
    std::set<std::string> _hookNames;
    Stamps _stamps;
    std::vector<std::string> _readErrors;
};

} // namespace comfygate
