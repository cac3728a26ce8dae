#pragma once

#include <Poco/Net/HTTPResponse.h>

#include <string>

namespace comfygate {

/// The security headers of every answer under /console (files, fallbacks, 304s and the
/// pipeline's own 400/404/405 refusals): a Content-Security-Policy that admits only this
/// origin's scripts, styles and connections (WebSockets to the same origin included) and
/// no framing, `Referrer-Policy: no-referrer`. (`X-Content-Type-Options: nosniff` is on
/// every kernel response already.)
class ConsoleHeaders
{
public:
    static constexpr const char* prefix = "/console";

    /// True for `/console` and every path below `/console/` (the path without its query).
    static bool covers(const std::string& path);

    static const std::string& contentSecurityPolicy();

    /// Sets the headers on the response.
    static void apply(Poco::Net::HTTPResponse& response);
};

} // namespace comfygate
