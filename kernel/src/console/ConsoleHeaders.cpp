#include "ConsoleHeaders.h"

namespace comfygate {

bool ConsoleHeaders::covers(const std::string& path)
{
    const std::string base = prefix;
    if (path.compare(0, base.size(), base) != 0)
        return false;
    return path.size() == base.size() || path[base.size()] == '/' || path[base.size()] == '?';
}

const std::string& ConsoleHeaders::contentSecurityPolicy()
{
    // connect-src 'self' covers ws:/wss: to the same origin (CSP level 3), which /ws needs;
    // img-src allows data: for the QR code and small inline icons, never a remote image.
    static const std::string policy = "default-src 'self'; script-src 'self'; style-src 'self'; "
                                      "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
                                      "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
                                      "form-action 'self'";
    return policy;
}

void ConsoleHeaders::apply(Poco::Net::HTTPResponse& response)
{
    response.set("Content-Security-Policy", contentSecurityPolicy());
    response.set("Referrer-Policy", "no-referrer");
    response.set("X-Frame-Options", "DENY");
}

} // namespace comfygate
