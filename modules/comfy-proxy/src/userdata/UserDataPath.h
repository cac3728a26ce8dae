#pragma once

#include <string>

namespace comfygate::comfyproxy {

/// ComfyUI's userdata routes name a file in ONE path segment (`/userdata/workflows%2Fx.json`);
/// clients that write the slash literally (`/userdata/workflows/x.json`, as MSS-Login's client
/// docs do) are rewritten to that form before the request goes upstream.
class UserDataPath
{
public:
    /// The upstream path and query for `uri` (`/userdata/...` or `/api/userdata/...`): every
    /// literal slash of the file name becomes `%2F`; the client's other escapes and the query
    /// are kept. With `move`, the first `move` segment that has segments on both sides splits
    /// the path into `<file>/move/<dest>` (a file below a folder named `move` needs the `%2F`
    /// form). A uri without `/userdata/` is returned unchanged.
    static std::string upstreamUri(const std::string& uri, bool move);
};

} // namespace comfygate::comfyproxy
