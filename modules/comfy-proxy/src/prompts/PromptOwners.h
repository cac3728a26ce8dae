#pragma once

#include "comfygate/Database.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace comfygate::comfyproxy {

/// Which user submitted which prompt. ComfyUI keeps one global queue and history; this
/// record is what lets the gateway show, clear and stream each user only their own items.
///
/// ownerOf() is on the WebSocket hot path (every event frame asks it), so answers are kept
/// in a bounded in-memory cache: owners for good, unknown ids for a few seconds (another
/// gateway instance on the same database may record them meanwhile). record() and forget()
/// keep the cache in step with this instance's own writes.
class PromptOwners
{
public:
    explicit PromptOwners(Database& database, std::size_t cacheSize = 20000)
        : _database(database), _cacheSize(cacheSize)
    {
    }

    /// Who submitted a prompt, and for which of their WebSocket tabs (ComfyUI's `client_id` as
    /// the client sent it; empty when it named none).
    struct Submitter
    {
        std::string userId;
        std::string clientId;
        std::string upstream; ///< the ComfyUI host it was sent to (base URL; "" = the first)
    };

    /// Records the prompt; false when the prompt id is already taken (by anyone). `sessionId` is
    /// the submitting credential (Principal::sessionId), for per-session cancelling; `upstream`
    /// the base URL of the ComfyUI host it goes to (comfy.upstreams).
    bool record(const std::string& promptId, const std::string& userId, const std::string& clientId, std::int64_t now,
                const std::string& sessionId = {}, const std::string& upstream = {});
    /// Records that the prompt was lost with its host: `failure` says why (history and jobs show it).
    void markFailed(const std::string& promptId, const std::string& failure);
    /// A prompt the gateway reports failed because its host stopped answering.
    struct Failure
    {
        std::string promptId;
        std::string userId;
        std::string upstream;
        std::string message;
        std::int64_t createdAt = 0;
    };
    /// The failed prompts of a user (every user's with an empty `userId`), oldest first.
    std::vector<Failure> failures(const std::string& userId);
    void forget(const std::string& promptId);
    std::optional<std::string> ownerOf(const std::string& promptId);
    /// ownerOf() with the client id: where ComfyUI would have sent the prompt's events.
    std::optional<Submitter> submitterOf(const std::string& promptId);
    std::set<std::string> promptsOf(const std::string& userId);
    /// The user's prompts submitted under one credential (see record()).
    std::set<std::string> promptsOfSession(const std::string& userId, const std::string& sessionId);
    /// Which of `promptIds` are the user's: answered from the cache, the ids it does not know
    /// read in batches (GET /history asks this for every id ComfyUI lists).
    std::unordered_set<std::string> ownedBy(const std::string& userId, const std::vector<std::string>& promptIds);

private:
    using Clock = std::chrono::steady_clock;
    struct Cached
    {
        std::optional<Submitter> submitter;
        Clock::time_point expires; ///< only for unknown ids
    };

    std::optional<std::optional<Submitter>> cached(const std::string& promptId);
    void remember(const std::string& promptId, std::optional<Submitter> submitter);

    Database& _database;
    std::size_t _cacheSize;
    mutable std::mutex _mutex;
    std::unordered_map<std::string, Cached> _cache;
    std::deque<std::string> _insertionOrder; ///< oldest first, for eviction
};

} // namespace comfygate::comfyproxy
