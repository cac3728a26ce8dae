#pragma once

#include <string>

namespace comfygate {

class Router;

/// The web console under /console/: `GET /console`, `/console/` and `/console/{path...}` from
/// `<http.www_dir>/console` (see ConsoleFiles), GET and HEAD only. Pages of the client's router
/// get `index.html`; every answer carries an ETag (a matching `If-None-Match` gets 304) and
/// `Cache-Control` (`no-cache` for the page, a short max-age for scripts and styles). The
/// security headers are set by the pipeline (ConsoleHeaders) so its refusals carry them too.
class ConsoleRoutes
{
public:
    ConsoleRoutes(Router& router, std::string wwwDir) : _router(router), _wwwDir(std::move(wwwDir)) {}
    void registerAll();

private:
    Router& _router;
    std::string _wwwDir;
};

} // namespace comfygate
