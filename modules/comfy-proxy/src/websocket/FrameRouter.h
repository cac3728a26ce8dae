#pragma once

#include "PromptOwners.h"
#include "QueueSnapshot.h"
#include "RunningPrompt.h"

#include <chrono>
#include <optional>
#include <string>

namespace comfygate::comfyproxy {

/// Decides, for one client socket, what of ComfyUI's WebSocket traffic it may see (reference
/// §10 item 15). Every upstream socket receives its own copy of ComfyUI's broadcasts, and each
/// client socket has exactly one upstream socket, so a frame passed here reaches each owner
/// socket exactly once and nobody else.
///
/// - JSON with `data.prompt_id`: only when the prompt is the viewer's (also for admins).
/// - `status`: `sid` becomes the client's own id, `queue_remaining` the viewer's own count.
/// - `feature_flags` and `executing` without a prompt id (the reconnect frame): passed.
/// - `logs` (server log lines, sent only to sids subscribed with PATCH
///   /internal/logs/subscribe): passed to viewers holding can_view_console, dropped otherwise.
/// - other types (custom nodes) and binary TEXT (3) and PREVIEW_IMAGE (1) frames: only while
///   the running prompt is the viewer's. PREVIEW_IMAGE_WITH_METADATA (4): by its prompt_id.
class FrameFilter
{
public:
    using Clock = std::chrono::steady_clock;

    struct Viewer
    {
        std::string userId;
        std::string clientId; ///< what the client knows its socket by (the sid it is shown)
        bool seesLogs = false; ///< holds can_view_console
    };

    struct Frame
    {
        std::string payload;
        bool binary = false;
        bool preview = false; ///< may be dropped when the client falls behind
    };

    /// `separateUsers` off: every prompt counts as everyone's (comfy.separate_users = false).
    FrameFilter(PromptOwners& owners, RunningPrompt& running, QueueSnapshot& queue, bool separateUsers)
        : _owners(owners), _running(running), _queue(queue), _separateUsers(separateUsers)
    {
    }

    /// What to send to the viewer for one upstream frame received at `receivedAt`; nothing to drop it.
    std::optional<Frame> filter(const Viewer& viewer, const std::string& payload, bool binary,
                                Clock::time_point receivedAt);

private:
    std::optional<Frame> filterText(const Viewer& viewer, const std::string& payload, Clock::time_point receivedAt);
    std::optional<Frame> filterBinary(const Viewer& viewer, const std::string& payload);
    std::string rewriteStatus(const Viewer& viewer, const std::string& payload, Clock::time_point receivedAt);
    bool owns(const Viewer& viewer, const std::string& promptId);
    bool runsNow(const Viewer& viewer);

    PromptOwners& _owners;
    RunningPrompt& _running;
    QueueSnapshot& _queue;
    bool _separateUsers;
};

} // namespace comfygate::comfyproxy
