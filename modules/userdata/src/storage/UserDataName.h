#pragma once

#include <optional>
#include <string>

namespace comfygate::userdata {

/// A file or directory name a client gave, checked before it reaches the store: relative,
/// '/'-separated, no empty, "." or ".." segment, no backslash, no control character, segments
/// of at most 255 bytes, 1024 bytes in all. ComfyUI answers 403 for a name that leaves the
/// user's folder and 400 for other bad names, so the two refusals are told apart.
class UserDataName
{
public:
    enum class Verdict
    {
        Valid,
        OutsideRoot, ///< "..", an absolute path: 403 in ComfyUI
        Invalid      ///< any other bad name: 400
    };

    /// Checks `name` (already percent-decoded). An empty name is Invalid unless `allowRoot`.
    static Verdict check(const std::string& name, bool allowRoot = false);

    /// The name without a trailing '/' (a directory given as "workflows/").
    static std::string trimmed(const std::string& name);

    /// The name's last segment ("workflows/a/b.json" → "b.json").
    static std::string baseName(const std::string& name);

    /// True when `path` lies below `directory` ("" = everything).
    static bool isBelow(const std::string& path, const std::string& directory);
};

} // namespace comfygate::userdata
