#pragma once

#include "PromptOwners.h"
#include "UpstreamHosts.h"
#include "UserScope.h"

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// ComfyUI's jobs API (`/api/jobs`, `/api/jobs/{job_id}`; also under `/api/api/`) limited to
/// the caller's prompts. Paging (`limit`, `offset`) applies to the caller's own list, so
/// `pagination.total` counts only their jobs; another user's job id answers 404 like an
/// unknown one. With several ComfyUI hosts the list merges every reachable host (sorted by
/// `create_time` as `sort_order` asks, newest first by default) plus the prompts lost with a
/// host (status `failed`), and a job is asked of the host its prompt went to.
class JobRoutes
{
public:
    JobRoutes(UpstreamHosts& hosts, PromptOwners& owners, bool separateUsers)
        : _hosts(hosts), _owners(owners), _scope(separateUsers)
    {
    }
    void registerAll(RouteRegistry& routes);

private:
    void list(HttpExchange& exchange);
    void detail(HttpExchange& exchange);

    UpstreamHosts& _hosts;
    PromptOwners& _owners;
    UserScope _scope;
};

} // namespace comfygate::comfyproxy
