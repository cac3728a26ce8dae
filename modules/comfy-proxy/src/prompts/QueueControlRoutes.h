#pragma once

#include "PromptOwners.h"
#include "UpstreamHosts.h"
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
/// running prompt is yours). Admins with can_view_all_comfyui_items act on everything. With
/// several ComfyUI hosts each id goes to the host its prompt was sent to, and `clear` and a bare
/// interrupt to every reachable host.
class QueueControlRoutes
{
public:
    QueueControlRoutes(UpstreamHosts& hosts, PromptOwners& owners, bool separateUsers)
        : _hosts(hosts), _owners(owners), _scope(separateUsers)
    {
    }
    void registerAll(RouteRegistry& routes);

private:
    void clearOrDelete(HttpExchange& exchange, const std::string& list);
    void interrupt(HttpExchange& exchange);
    /// Prompt ids listed upstream at `path` (queue items or history keys) that the caller owns.
    std::vector<std::string> ownedUpstreamIds(UpstreamClient& upstream, const std::string& path,
                                              const std::set<std::string>& mine);
    /// The id of the prompt `upstream` is running ("" when idle).
    static std::string runningPrompt(UpstreamClient& upstream);
    void sendEmpty(HttpExchange& exchange);

    UpstreamHosts& _hosts;
    PromptOwners& _owners;
    UserScope _scope;
};

} // namespace comfygate::comfyproxy
