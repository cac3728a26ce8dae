#pragma once

#include "NsfwTags.h"
#include "UpstreamClient.h"

namespace comfygate {
class Audit;
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// POST /mss-login-gallery/mark-nsfw (MSS-Login's route, with its request and answer shape):
/// an admin (can_manage_nsfw) tags one file NSFW or safe. The tag goes to the database
/// (NsfwTags), never into the file, and is audited. Unlike MSS-Login the file is named
/// exactly (type + subfolder + filename, not searched by name across the output tree) and
/// must exist upstream. GET /mss-login/api/nsfw-tags lists the newest tags for the console.
class NsfwRoutes
{
public:
    NsfwRoutes(UpstreamClient& upstream, NsfwTags& tags, Audit& audit) : _upstream(upstream), _tags(tags), _audit(audit)
    {
    }
    void registerAll(RouteRegistry& routes);

private:
    void markNsfw(HttpExchange& exchange);
    void listTags(HttpExchange& exchange);

    UpstreamClient& _upstream;
    NsfwTags& _tags;
    Audit& _audit;
};

} // namespace comfygate::comfyproxy
