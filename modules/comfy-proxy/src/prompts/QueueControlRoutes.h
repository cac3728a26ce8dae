#pragma once

#include "PromptOwners.h"
#include "UpstreamClient.h"
#include "UserScope.h"

#include <set>
#include <string>
#include <vector>

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// The state-changing queue routes, confined to the caller's own prompts: POST /queue and
/// POST /history (`clear` clears only yours, `delete` ignores ids that are not yours) and
/// POST /interrupt (stops only your running prompt; without a prompt_id, only when the
/// running prompt is yours). Admins with can_view_all_comfyui_items act on everything.
class QueueControlRoutes
{
public:
    QueueControlRoutes(UpstreamClient& upstream, PromptOwners& owners, bool separateUsers)
        : _upstream(upstream), _owners(owners), _scope(separateUsers)
    {
    }
    void registerAll(RouteRegistry& routes);

private:
    void clearOrDelete(HttpExchange& exchange, const std::string& list);
    void interrupt(HttpExchange& exchange);
    /// Prompt ids listed upstream at `path` (queue items or history keys) that the caller owns.
    std::vector<std::string> ownedUpstreamIds(const std::string& path, const std::set<std::string>& mine);
    void sendEmpty(HttpExchange& exchange);

    UpstreamClient& _upstream;
    PromptOwners& _owners;
    UserScope _scope;
};

} // namespace comfygate::comfyproxy
