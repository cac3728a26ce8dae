#pragma once

#include <string>

namespace comfygate::auth {

/// Where the browser goes after signing in: the `next` it asked for, only when that is a path
/// on this server, so a crafted sign-in link cannot send a user to another site.
class ReturnPath
{
public:
    /// `next` when it starts with exactly one '/' and has no backslash, no control character and
    /// at most 2048 bytes (a browser reads `//host`, `/\host` and `/<tab>/host` as another
    /// host); otherwise "/".
    static std::string from(const std::string& next);
};

} // namespace comfygate::auth
