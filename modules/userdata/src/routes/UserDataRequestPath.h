#pragma once

#include <optional>
#include <string>

namespace comfygate::userdata {

/// The file (and move destination) a `/userdata/...` request names, read from the raw request
/// path. ComfyUI names a file in one segment (`workflows%2Fx.json`); clients that write the
/// slash literally (`/userdata/workflows/x.json`, as MSS-Login's client docs do) name the
/// same file. Each segment is percent-decoded, and decoded once more while a '%' remains,
/// as ComfyUI's handler does.
struct UserDataRequestPath
{
    std::string file;
    std::optional<std::string> destination; ///< set for `<file>/move/<dest>`

    /// Parses the path of `uri` after `/userdata/` (or `/api/userdata/`). With `allowMove`,
    /// the first `move` segment that has segments on both sides splits it into file and
    /// destination (a file below a folder named `move` needs the `%2F` form). Nothing after
    /// `/userdata/` gives an empty file.
    static UserDataRequestPath parse(const std::string& uri, bool allowMove);

    /// ComfyUI's decoding of one name: percent-decoded, again while a '%' remains (bounded).
    static std::string decode(const std::string& raw);
};

} // namespace comfygate::userdata
