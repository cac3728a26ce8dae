#include "ComfyQueueService.h"

#include "comfygate/HttpError.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>

namespace comfygate::comfyproxy {
namespace {

/// The prompt ids (second element) of queue items [number, prompt_id, prompt, extra, outputs].
std::vector<std::string> promptIdsOf(const Poco::JSON::Array::Ptr& items)
{
    std::vector<std::string> ids;
    if (!items)
        return ids;
    for (std::size_t i = 0; i < items->size(); ++i) {
        const auto item = items->getArray(static_cast<unsigned>(i));
        if (item && item->size() > 1 && item->get(1).isString())
            ids.push_back(item->getElement<std::string>(1));
    }
    return ids;
}

int countIn(const std::vector<std::string>& ids, const std::unordered_set<std::string>& mine)
{
    return static_cast<int>(std::count_if(ids.begin(), ids.end(), [&](const auto& id) { return mine.count(id) != 0; }));
}

std::string jsonText(const Poco::JSON::Object& object)
{
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

} // namespace

ComfyQueueService::Listing ComfyQueueService::listQueue(UpstreamClient& upstream)
{
    UpstreamClient::Answer answer;
    try {
        answer = upstream.fetch("GET", "/queue");
    } catch (const HttpError& e) {
        throw std::runtime_error(e.what());
    }
    if (answer.status != 200)
        throw std::runtime_error("ComfyUI answered GET /queue with status " + std::to_string(answer.status));
    try {
        const auto root = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
        return Listing{promptIdsOf(root->getArray("queue_running")), promptIdsOf(root->getArray("queue_pending"))};
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("ComfyUI's GET /queue answer is not a queue: " + e.displayText());
    }
}

services::ComfyQueue::Counts ComfyQueueService::countsFor(const std::string& userId)
{
    Counts counts;
    for (UpstreamHost* host : _hosts.all())
        counts.upstreamUrl += (counts.upstreamUrl.empty() ? "" : ", ") + host->url();
    for (UpstreamHost* host : _hosts.reachable()) {
        Listing listing;
        try {
            listing = listQueue(host->client());
        } catch (const std::exception& e) {
            counts.problem = e.what();
            continue;
        }
        counts.reachable = true;
        counts.totalRunning += static_cast<int>(listing.running.size());
        counts.totalPending += static_cast<int>(listing.pending.size());
        std::vector<std::string> all = listing.running;
        all.insert(all.end(), listing.pending.begin(), listing.pending.end());
        const auto mine = _owners.ownedBy(userId, all);
        counts.userRunning += countIn(listing.running, mine);
        counts.userPending += countIn(listing.pending, mine);
    }
    if (counts.reachable)
        counts.problem.clear();
    return counts;
}

services::ComfyQueue::Cancelled ComfyQueueService::cancel(const std::string& userId, const std::string& sessionId)
{
    const std::set<std::string> mine =
        sessionId.empty() ? _owners.promptsOf(userId) : _owners.promptsOfSession(userId, sessionId);
    Cancelled cancelled;
    for (UpstreamHost* host : _hosts.reachable()) {
        const Listing listing = listQueue(host->client());
        Poco::JSON::Array::Ptr doomed = new Poco::JSON::Array;
        for (const auto& id : listing.pending)
            if (mine.count(id))
                doomed->add(id);
        if (doomed->size() > 0) {
            Poco::JSON::Object body;
            body.set("delete", doomed);
            host->client().fetch("POST", "/queue", jsonText(body));
            cancelled.deleted += static_cast<int>(doomed->size());
            for (const auto& id : listing.pending)
                if (mine.count(id))
                    host->untrack(id);
        }
        for (const auto& id : listing.running) {
            if (!mine.count(id))
                continue;
            Poco::JSON::Object body;
            body.set("prompt_id", id);
            host->client().fetch("POST", "/interrupt", jsonText(body));
            cancelled.interrupted = true;
        }
    }
    return cancelled;
}

} // namespace comfygate::comfyproxy
