#pragma once

#include "UpstreamClient.h"

#include <optional>
#include <string>

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// The gateway's own front-end extension: `GET /extensions` (and `/api/extensions`) is ComfyUI's
/// list of extension scripts with `/extensions/comfygate/signout.js` appended, and that script
/// (share/www/comfygate-signout.js, embedded) adds a "Sign out" command, menu entry and
/// action-bar button that open `/logout`, which ends the session and shows the sign-in page.
class SignOutExtension
{
public:
    static constexpr const char* scriptPath = "/extensions/comfygate/signout.js";

    explicit SignOutExtension(UpstreamClient& upstream) : _upstream(upstream) {}
    void registerAll(RouteRegistry& routes);

    /// ComfyUI's JSON array text with the script's path appended, ComfyUI's bytes kept as they
    /// are (the list is fetched on every page load: it is not parsed and written again).
    /// Nothing when `list` is not a JSON array.
    static std::optional<std::string> withScript(const std::string& list);

private:
    void list(HttpExchange& exchange);
    static void script(HttpExchange& exchange);

    UpstreamClient& _upstream;
};

} // namespace comfygate::comfyproxy
