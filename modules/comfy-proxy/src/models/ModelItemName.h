#pragma once

#include <string>

namespace comfygate::comfyproxy {

/// The rules for model folder keys and item names in grants: relative paths inside one
/// model folder, never escaping it, with `*` as the only wildcard.
class ModelItemName
{
public:
    /// Throws std::invalid_argument unless `folder` is a ComfyUI folder key
    /// (letters, digits, `_`, `-`, `.`; not `.` or `..`; at most 64 characters).
    static void validateFolder(const std::string& folder);
    /// Throws std::invalid_argument for an empty or absolute name, a `.`/`..`/empty segment,
    /// a backslash, a control character or more than 512 characters.
    static void validateItem(const std::string& item);
    /// True when `item` matches `pattern`, where `*` matches any run of characters (`/` too).
    static bool matches(const std::string& pattern, const std::string& item);
};

} // namespace comfygate::comfyproxy
