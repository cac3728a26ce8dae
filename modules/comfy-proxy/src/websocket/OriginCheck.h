#pragma once

#include <string>
#include <vector>

namespace comfygate::comfyproxy {

/// Cross-site WebSocket hijacking guard: a browser always sends `Origin` on a WebSocket
/// upgrade and sends the user's cookie along, so a page from another site must not be able to
/// open the user's event stream. No `Origin` (scripts, apps) is fine; otherwise its host and
/// port must be the request's `Host` (whatever the scheme: TLS may end at a proxy) or the
/// origin must be listed in comfy.ws_allowed_origins.
class OriginCheck
{
public:
    /// `allowedOrigins`: `scheme://host[:port]` entries, compared case-insensitively.
    explicit OriginCheck(const std::vector<std::string>& allowedOrigins);

    /// `origin` empty = no Origin header.
    bool allows(const std::string& origin, const std::string& host) const;

private:
    static std::string normalizedOrigin(const std::string& origin);
    /// `host[:port]` lower-cased, a default port (80, 443) dropped; empty when unparsable.
    static std::string authorityOf(const std::string& origin);
    static std::string normalizedHost(const std::string& host);

    std::vector<std::string> _allowed;
};

} // namespace comfygate::comfyproxy
