#include "PromptOwners.h"

#include <Poco/Data/Statement.h>

using namespace Poco::Data::Keywords;

namespace comfygate::comfyproxy {
namespace {

constexpr std::chrono::seconds unknownLifetime{5};

/// ownedBy() reads unknown ids this many at a time, padded with the batch's last id, so that
/// one prepared statement serves every batch.
constexpr std::size_t ownerBatch = 16;

const std::string& ownersOfBatch()
{
    static const std::string sql = [] {
        std::string text = "SELECT prompt_id, user_id, client_id, upstream FROM comfy_prompts WHERE prompt_id IN (?";
        for (std::size_t i = 1; i < ownerBatch; ++i)
            text += ", ?";
        return text + ")";
    }();
    return sql;
}

} // namespace

bool PromptOwners::record(const std::string& promptId, const std::string& userId, const std::string& clientId,
                          std::int64_t now, const std::string& sessionId, const std::string& upstream)
{
    // Once per POST /prompt: the prepared write path, not a parsed BEGIN, INSERT and COMMIT.
    const bool inserted =
        _database.execute("INSERT INTO comfy_prompts (prompt_id, user_id, client_id, created_at, session_id, upstream)"
                          " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (prompt_id) DO NOTHING",
                          {promptId, userId, clientId, static_cast<Poco::Int64>(now), sessionId, upstream}) == 1;
    if (inserted)
        remember(promptId, Submitter{userId, clientId, upstream});
    return inserted;
}

void PromptOwners::markFailed(const std::string& promptId, const std::string& failure)
{
    _database.execute("UPDATE comfy_prompts SET failure = ? WHERE prompt_id = ?", {failure, promptId});
}

std::vector<PromptOwners::Failure> PromptOwners::failures(const std::string& userId)
{
    const std::string select = "SELECT prompt_id, user_id, upstream, failure, created_at FROM comfy_prompts"
                               " WHERE failure <> ''";
    const auto rows = userId.empty() ? _database.select(select + " ORDER BY created_at", {})
                                     : _database.select(select + " AND user_id = ? ORDER BY created_at", {userId});
    std::vector<Failure> failed;
    for (const auto& row : rows)
        failed.push_back(Failure{row[0].convert<std::string>(), row[1].convert<std::string>(),
                                 row[2].convert<std::string>(), row[3].convert<std::string>(),
                                 row[4].convert<Poco::Int64>()});
    return failed;
}

void PromptOwners::forget(const std::string& promptId)
{
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate("DELETE FROM comfy_prompts WHERE prompt_id = ?"), bind(promptId), now;
    });
    std::lock_guard lock(_mutex);
    _cache.erase(promptId);
}

std::optional<std::optional<PromptOwners::Submitter>> PromptOwners::cached(const std::string& promptId)
{
    std::lock_guard lock(_mutex);
    const auto found = _cache.find(promptId);
    if (found == _cache.end())
        return std::nullopt;
    if (!found->second.submitter && found->second.expires < Clock::now()) {
        _cache.erase(found);
        return std::nullopt;
    }
    return found->second.submitter;
}

void PromptOwners::remember(const std::string& promptId, std::optional<Submitter> submitter)
{
    std::lock_guard lock(_mutex);
    const bool added =
        _cache.insert_or_assign(promptId, Cached{std::move(submitter), Clock::now() + unknownLifetime}).second;
    if (added)
        _insertionOrder.push_back(promptId);
    // Evict the oldest entries; ids in the order list may already be gone (forget()).
    while (_cache.size() > _cacheSize && !_insertionOrder.empty()) {
        _cache.erase(_insertionOrder.front());
        _insertionOrder.pop_front();
    }
    if (_insertionOrder.size() > 2 * _cacheSize + 16) {
        std::deque<std::string> live;
        for (auto& id : _insertionOrder)
            if (_cache.count(id))
                live.push_back(std::move(id));
        _insertionOrder.swap(live);
    }
}

std::optional<std::string> PromptOwners::ownerOf(const std::string& promptId)
{
    const auto submitter = submitterOf(promptId);
    return submitter ? std::optional(submitter->userId) : std::nullopt;
}

std::optional<PromptOwners::Submitter> PromptOwners::submitterOf(const std::string& promptId)
{
    if (auto hit = cached(promptId))
        return *hit;
    // Database::select: these reads run for every /history, /queue and WebSocket event.
    const auto rows =
        _database.select("SELECT user_id, client_id, upstream FROM comfy_prompts WHERE prompt_id = ?", {promptId});
    std::optional<Submitter> submitter;
    if (!rows.empty())
        submitter = Submitter{rows.front()[0].convert<std::string>(), rows.front()[1].convert<std::string>(),
                              rows.front()[2].convert<std::string>()};
    remember(promptId, submitter);
    return submitter;
}

std::set<std::string> PromptOwners::promptsOf(const std::string& userId)
{
    std::set<std::string> ids;
    for (const auto& row : _database.select("SELECT prompt_id FROM comfy_prompts WHERE user_id = ?", {userId}))
        ids.insert(row[0].convert<std::string>());
    return ids;
}

std::set<std::string> PromptOwners::promptsOfSession(const std::string& userId, const std::string& sessionId)
{
    std::set<std::string> ids;
    for (const auto& row : _database.select("SELECT prompt_id FROM comfy_prompts WHERE user_id = ? AND session_id = ?",
                                            {userId, sessionId}))
        ids.insert(row[0].convert<std::string>());
    return ids;
}

std::unordered_set<std::string> PromptOwners::ownedBy(const std::string& userId,
                                                     const std::vector<std::string>& promptIds)
{
    std::unordered_set<std::string> owned;
    std::vector<std::string> unknown;
    for (const auto& id : promptIds) {
        if (auto hit = cached(id)) {
            if (*hit && (*hit)->userId == userId)
                owned.insert(id);
        } else {
            unknown.push_back(id);
        }
    }
    for (std::size_t from = 0; from < unknown.size(); from += ownerBatch) {
        const std::size_t to = std::min(unknown.size(), from + ownerBatch);
        std::vector<Poco::Dynamic::Var> params;
        for (std::size_t i = 0; i < ownerBatch; ++i)
            params.emplace_back(unknown[std::min(from + i, to - 1)]);
        std::unordered_map<std::string, Submitter> found;
        for (const auto& row : _database.select(ownersOfBatch(), params))
            found.emplace(row[0].convert<std::string>(),
                          Submitter{row[1].convert<std::string>(), row[2].convert<std::string>(),
                                    row[3].convert<std::string>()});
        for (std::size_t i = from; i < to; ++i) {
            const auto owner = found.find(unknown[i]);
            if (owner == found.end()) {
                remember(unknown[i], std::nullopt);
                continue;
            }
            if (owner->second.userId == userId)
                owned.insert(unknown[i]);
            remember(unknown[i], owner->second);
        }
    }
    return owned;
}

} // namespace comfygate::comfyproxy
