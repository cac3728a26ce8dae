#include "QueueControlRoutes.h"

#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <map>
#include <sstream>

namespace comfygate::comfyproxy {
namespace {

Poco::JSON::Object::Ptr optionalJsonBody(HttpExchange& exchange)
{
    const std::string& text = exchange.body();
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        return new Poco::JSON::Object;
    try {
        return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    } catch (...) {
        throw HttpError(400, "the body must be a JSON object");
    }
}

std::string deleteBody(const std::vector<std::string>& ids)
{
    Poco::JSON::Object body;
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& id : ids)
        list->add(id);
    body.set("delete", list);
    std::ostringstream out;
    body.stringify(out);
    return out.str();
}

} // namespace

void QueueControlRoutes::registerAll(RouteRegistry& routes)
{
    auto queue = RouteSpec::make("POST", "/queue", Access::Permission, "clear or delete your pending prompts",
                                 [this](HttpExchange& e) { clearOrDelete(e, "queue"); }, "can_run");
    queue.apiTwin = true;
    routes.add(queue);
    auto history = RouteSpec::make("POST", "/history", Access::Permission, "clear or delete your history items",
                                   [this](HttpExchange& e) { clearOrDelete(e, "history"); }, "can_run");
    history.apiTwin = true;
    routes.add(history);
    auto interrupt = RouteSpec::make("POST", "/interrupt", Access::Permission, "stop your running prompt",
                                     [this](HttpExchange& e) { this->interrupt(e); }, "can_run");
    interrupt.apiTwin = true;
    routes.add(interrupt);
}

void QueueControlRoutes::sendEmpty(HttpExchange& exchange)
{
    // ComfyUI answers these routes with an empty 200.
    exchange.sendText(200, "text/plain", "");
}

std::vector<std::string> QueueControlRoutes::ownedUpstreamIds(UpstreamClient& upstream, const std::string& path,
                                                             const std::set<std::string>& mine)
{
    const auto answer = upstream.fetch("GET", path);
    if (answer.status != 200)
        throw HttpError(502, "ComfyUI answered " + path + " with status " + std::to_string(answer.status));
    std::vector<std::string> ids;
    const auto root = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
    if (path == "/queue") {
        if (auto pending = root->getArray("queue_pending")) {
            for (std::size_t i = 0; i < pending->size(); ++i) {
                auto item = pending->getArray(static_cast<unsigned>(i));
                if (item && item->size() > 1 && mine.count(item->getElement<std::string>(1)))
                    ids.push_back(item->getElement<std::string>(1));
            }
        }
    } else {
        for (const auto& key : root->getNames()) {
            if (mine.count(key))
                ids.push_back(key);
        }
    }
    return ids;
}

void QueueControlRoutes::clearOrDelete(HttpExchange& exchange, const std::string& list)
{
    const auto body = optionalJsonBody(exchange);
    const std::string path = "/" + list;
    if (_scope.seesEveryone(exchange.principal())) {
        std::ostringstream text;
        body->stringify(text);
        for (UpstreamHost* host : _hosts.reachable())
            host->client().fetch("POST", path, text.str());
        sendEmpty(exchange);
        return;
    }
    const auto mine = _owners.promptsOf(exchange.principal().userId);
    std::map<UpstreamHost*, std::vector<std::string>> idsOfHost;
    if (body->optValue<bool>("clear", false)) {
        for (UpstreamHost* host : _hosts.reachable())
            idsOfHost[host] = ownedUpstreamIds(host->client(), path, mine);
    }
    if (auto requested = body->getArray("delete")) {
        for (std::size_t i = 0; i < requested->size(); ++i) {
            const auto id = requested->get(static_cast<unsigned>(i));
            if (!id.isString() || !mine.count(id.convert<std::string>()))
                continue;
            const auto submitter = _owners.submitterOf(id.convert<std::string>());
            idsOfHost[&_hosts.hostFor(submitter ? submitter->upstream : "")].push_back(id.convert<std::string>());
        }
    }
    for (const auto& [host, ids] : idsOfHost) {
        if (ids.empty())
            continue;
        host->client().fetch("POST", path, deleteBody(ids));
        if (list == "queue")
            for (const auto& id : ids)
                host->untrack(id); // deleted before it ran: it will send no end event
    }
    sendEmpty(exchange);
}

std::string QueueControlRoutes::runningPrompt(UpstreamClient& upstream)
{
    const auto answer = upstream.fetch("GET", "/queue");
    const auto queue = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
    const auto running = queue->getArray("queue_running");
    if (running && running->size() > 0) {
        const auto item = running->getArray(0);
        if (item && item->size() > 1)
            return item->getElement<std::string>(1);
    }
    return {};
}

void QueueControlRoutes::interrupt(HttpExchange& exchange)
{
    const auto body = optionalJsonBody(exchange);
    const std::string promptId = body->optValue<std::string>("prompt_id", "");
    const bool everyone = _scope.seesEveryone(exchange.principal());
    // (host, prompt) pairs to stop; an empty prompt id stops whatever the host runs (admins).
    std::vector<std::pair<UpstreamHost*, std::string>> targets;
    if (!promptId.empty()) {
        const auto submitter = _owners.submitterOf(promptId);
        if (everyone || (submitter && submitter->userId == exchange.principal().userId))
            targets.emplace_back(&_hosts.hostFor(submitter ? submitter->upstream : ""), promptId);
    } else {
        for (UpstreamHost* host : _hosts.reachable()) {
            if (everyone) {
                targets.emplace_back(host, "");
                continue;
            }
            // Without a prompt_id ComfyUI stops whatever runs: narrow it to the running prompt,
            // and only when that prompt is the caller's.
            const std::string running = runningPrompt(host->client());
            const auto owner = running.empty() ? std::nullopt : _owners.ownerOf(running);
            if (owner && *owner == exchange.principal().userId)
                targets.emplace_back(host, running);
        }
    }
    for (const auto& [host, id] : targets) {
        Poco::JSON::Object forwarded;
        if (!id.empty())
            forwarded.set("prompt_id", id);
        std::ostringstream text;
        forwarded.stringify(text);
        host->client().fetch("POST", "/interrupt", text.str());
    }
    sendEmpty(exchange); // like ComfyUI, also for a prompt that is not running
}

} // namespace comfygate::comfyproxy
