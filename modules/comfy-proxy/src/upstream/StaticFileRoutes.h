#pragma once

#include "UpstreamClient.h"

namespace comfygate {
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// ComfyUI's web UI files, streamed from ComfyUI unchanged with its cache headers (`Cache-Control`,
/// `ETag`, `Last-Modified`; a conditional request gets ComfyUI's 304): `/` and `/index.html`, the
/// front end's folders (`/assets/...`, `/scripts/...`, `/extensions/...`, `/templates/...`,
/// `/docs/...`, ...), its root files (`/user.css`, `/favicon.ico`, ...) and
/// `/api/workflow_templates/{module}/...`. GET and HEAD only; every file needs `can_access_api`
/// (the gateway's own sign-in page needs none of them), and a browser asking for a page without
/// a credential is sent to sign in.
class StaticFileRoutes
{
public:
    explicit StaticFileRoutes(UpstreamClient& upstream) : _upstream(upstream) {}
    void registerAll(RouteRegistry& routes);

private:
    UpstreamClient& _upstream;
};

} // namespace comfygate::comfyproxy
