#pragma once

#include <string>

namespace comfygate::fakes {

/// The os.path operations ComfyUI's guards are built on, on POSIX strings (no file access).
class PosixPath
{
public:
    /// os.path.normpath: collapses "//", "." and "a/.." ("" → ".").
    static std::string normalise(const std::string& path);
    /// os.path.join(a, b): an absolute `b` replaces `a`.
    static std::string join(const std::string& a, const std::string& b);
    /// os.path.commonpath((base, path)) == base, for normalised absolute paths.
    static bool inside(const std::string& base, const std::string& path);
};

} // namespace comfygate::fakes
