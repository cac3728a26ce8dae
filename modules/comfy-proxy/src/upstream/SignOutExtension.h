#pragma once

#include "UpstreamClient.h"

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

private:
    void list(HttpExchange& exchange);
    static void script(HttpExchange& exchange);

    UpstreamClient& _upstream;
};

} // namespace comfygate::comfyproxy
