#pragma once

#include "PromptOwners.h"

#include <Poco/JSON/Object.h>

#include <set>
#include <string>
#include <vector>

namespace comfygate::comfyproxy {

/// What the gateway says, in ComfyUI's own shapes, about prompts lost with a ComfyUI host that
/// stopped answering (comfy.upstreams): the `execution_error` event their owner's WebSocket
/// gets, and the history and job entries that stand in for the ones the host can no longer give.
class LostPrompts
{
public:
    /// The message recorded with each lost prompt.
    static std::string failureMessage(const std::string& hostUrl, const std::string& error);
    /// `{"type":"execution_error","data":{prompt_id, node_id: null, exception_message, ...}}`.
    static std::string errorEvent(const std::string& promptId, const std::string& message);
    /// A GET /history object (`{id: {prompt, outputs, status: {status_str: "error", ...}}}`) of
    /// the failures whose ids are not in `present` (a host that came back may know them).
    static std::string historyOf(const std::vector<PromptOwners::Failure>& failures,
                                 const std::set<std::string>& present);
    /// A /api/jobs entry: `{id, status: "failed", execution_error, create_time, ...}`.
    static Poco::JSON::Object::Ptr job(const PromptOwners::Failure& failure);
};

} // namespace comfygate::comfyproxy
