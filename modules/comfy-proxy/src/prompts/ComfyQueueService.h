#pragma once

#include "PromptOwners.h"
#include "UpstreamHosts.h"
#include "comfygate/services/ComfyQueue.h"

#include <string>
#include <vector>

namespace comfygate::comfyproxy {

/// services::ComfyQueue ("comfy.queue") over ComfyUI's GET /queue, the prompt owners this
/// module records, and ComfyUI's POST /queue {"delete": [...]} and POST /interrupt
/// {"prompt_id": ...} (never a bare /interrupt, which would stop whoever's prompt runs).
/// With several ComfyUI hosts the counts add up every reachable host and cancelling acts on each.
/// Thread safe (the upstream client and the owner record are).
class ComfyQueueService : public services::ComfyQueue
{
public:
    ComfyQueueService(UpstreamHosts& hosts, PromptOwners& owners) : _hosts(hosts), _owners(owners) {}

    Counts countsFor(const std::string& userId) override;
    Cancelled cancel(const std::string& userId, const std::string& sessionId) override;

private:
    /// The prompt ids of ComfyUI's queue: the running ones and the pending ones.
    struct Listing
    {
        std::vector<std::string> running;
        std::vector<std::string> pending;
    };
    /// Throws std::runtime_error when ComfyUI does not answer or answers something else than
    /// a queue.
    static Listing listQueue(UpstreamClient& upstream);

    UpstreamHosts& _hosts;
    PromptOwners& _owners;
};

} // namespace comfygate::comfyproxy
