#pragma once

#include "PromptOwners.h"
#include "UpstreamClient.h"
#include "UserScope.h"

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// ComfyUI's jobs API (`/api/jobs`, `/api/jobs/{job_id}`; also under `/api/api/`) limited to
/// the caller's prompts. Paging (`limit`, `offset`) applies to the caller's own list, so
/// `pagination.total` counts only their jobs; another user's job id answers 404 like an
/// unknown one.
class JobRoutes
{
public:
    JobRoutes(UpstreamClient& upstream, PromptOwners& owners, bool separateUsers)
        : _upstream(upstream), _owners(owners), _scope(separateUsers)
    {
    }
    void registerAll(RouteRegistry& routes);

private:
    void list(HttpExchange& exchange);
    void detail(HttpExchange& exchange);

    UpstreamClient& _upstream;
    PromptOwners& _owners;
    UserScope _scope;
};

} // namespace comfygate::comfyproxy
