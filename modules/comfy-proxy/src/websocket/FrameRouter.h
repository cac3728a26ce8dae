#pragma once

#include "FinishedPrompts.h"
#include "PromptOwners.h"
#include "QueueSnapshot.h"
#include "RunningPrompt.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace comfygate::comfyproxy {

/// Decides where each frame from the gateway's one upstream ComfyUI socket goes (reference
/// §7 and §10 item 15). ComfyUI addresses every prompt the gateway submits to the gateway's
/// sid; the router sends each event where ComfyUI would have sent it had the client's own
/// socket been connected to it, within the user it belongs to:
///
/// - JSON with `data.prompt_id`: to the submitter's tab (the clientId it gave with the prompt).
///   A prompt submitted without client_id: ComfyUI sends its T events (execution_start,
///   executing, executed, execution_success, ...) to nobody and broadcasts the rest
///   (progress, progress_state, execution_interrupted, custom events): to all of the user's tabs.
/// - `status`: to everyone, `sid` set to each client's own id and `queue_remaining` to each
///   user's own count (statusFor()).
/// - `feature_flags`: ComfyUI's answer to the gateway, kept by the hub for its clients.
/// - `logs`: to the clients subscribed with PATCH /internal/logs/subscribe (can_view_console).
/// - `executing` without prompt id (the reconnect frame): the tab of the running prompt.
/// - other JSON (custom nodes, broadcast by ComfyUI) and binary TEXT (3): all tabs of the user
///   whose prompt runs. PREVIEW_IMAGE (1): the running prompt's tab.
///   PREVIEW_IMAGE_WITH_METADATA (4): by its prompt_id, like a JSON event; clients that did not
///   negotiate `supports_preview_metadata` get it as a PREVIEW_IMAGE (asPlainPreview()).
///
/// With `separateUsers` off (comfy.separate_users = false) a tab is matched by clientId alone
/// and what goes to a user goes to everyone.
class FrameRouter
{
public:
    using Clock = std::chrono::steady_clock;

    /// Who may see a frame; the hub matches it against its clients.
    struct Delivery
    {
        enum class To
        {
            Nobody,
            Gateway,        ///< the feature_flags answer to the gateway's own socket
            Tab,            ///< the newest socket of (userId, clientId); userId empty: any user
            User,           ///< every socket of userId
            Everyone,       ///< every socket
            LogSubscribers  ///< sockets subscribed to `logs`
        };
        To to = To::Nobody;
        std::string userId;
        std::string clientId;
        bool status = false;          ///< rewrite per client with statusFor()
        bool preview = false;         ///< may be dropped when the client falls behind
        bool metadataPreview = false; ///< type 4: asPlainPreview() for clients without metadata support
    };

    struct Viewer
    {
        std::string userId;
        std::string clientId;  ///< what the client knows its socket by (the sid it is shown)
        bool seesLogs = false; ///< holds can_view_console
    };

    /// `finished` (optional) hears every prompt event, to report finished prompts to the policy.
    FrameRouter(PromptOwners& owners, RunningPrompt& running, QueueSnapshot& queue, bool separateUsers,
                FinishedPrompts* finished = nullptr)
        : _owners(owners), _running(running), _queue(queue), _separateUsers(separateUsers), _finished(finished)
    {
    }

    /// Where one upstream frame received at `receivedAt` goes; Nobody for what ComfyUI does not send.
    Delivery route(const std::string& payload, bool binary, Clock::time_point receivedAt);

    /// A `status` frame as `viewer` sees it: its own sid and its user's own queue count.
    std::string statusFor(const Viewer& viewer, const std::string& payload, Clock::time_point receivedAt);
    /// The first frame ComfyUI sends a new socket: `status` with the sid and the queue count.
    std::string firstStatus(const Viewer& viewer);
    /// The `executing {node}` frame ComfyUI sends after the first status to a socket that
    /// connects with the sid of the prompt it executes; empty for any other socket.
    std::string reconnectFrame(const Viewer& viewer);
    /// A PREVIEW_IMAGE_WITH_METADATA frame as the PREVIEW_IMAGE ComfyUI sends to sockets
    /// without `supports_preview_metadata`; empty when the frame is not one.
    static std::string asPlainPreview(const std::string& payload);

private:
    Delivery routeText(const std::string& payload, Clock::time_point receivedAt);
    Delivery routeBinary(const std::string& payload);
    /// Where ComfyUI sends an event of `promptId`: its tab, or (`broadcastWithoutTab`) all of
    /// the user's tabs when the prompt named none.
    Delivery toSubmitter(const std::string& promptId, bool broadcastWithoutTab);
    Delivery toRunningTab(bool broadcastWithoutTab);
    Delivery toRunningUser();
    std::optional<std::string> runningPrompt();
    Delivery toUser(const std::string& userId) const;

    void noteExecutingNode(const std::string& promptId, const Poco::JSON::Object::Ptr& data);

    PromptOwners& _owners;
    RunningPrompt& _running;
    QueueSnapshot& _queue;
    bool _separateUsers;
    FinishedPrompts* _finished;

    std::mutex _nodeMutex;
    std::string _nodePrompt; ///< the prompt of _node
    std::string _node;       ///< the node ComfyUI announced last with `executing` (its last_node_id)
};

} // namespace comfygate::comfyproxy
