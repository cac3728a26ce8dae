#include "PromptRoutes.h"


#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Policy.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>
#include <Poco/UUIDGenerator.h>

#include <chrono>
#include <sstream>

namespace comfygate::comfyproxy {
namespace {

/// A POST /prompt refusal, answered in ComfyUI's own error shape:
/// {"error":{"type","message","details","extra_info"},"node_errors":{}}.
struct PromptRefusal
{
    int status;
    std::string type;
    std::string message;
};

PromptRefusal promptError(int status, const std::string& type, const std::string& message)
{
    return PromptRefusal{status, type, message};
}

Poco::JSON::Object::Ptr refusalBody(const PromptRefusal& refusal)
{
    Poco::JSON::Object::Ptr error = new Poco::JSON::Object;
    error->set("type", refusal.type);
    error->set("message", refusal.message);
    error->set("details", refusal.message);
    error->set("extra_info", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("error", error);
    body->set("node_errors", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
    return body;
}

Poco::Dynamic::Var parseOrdered(const std::string& text)
{
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true)); // keep ComfyUI's key order
    return parser.parse(text);
}

std::string stringify(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

void stripApiKeys(const Poco::JSON::Array::Ptr& item)
{
    // QueueItem = [number, prompt_id, prompt, extra_data, outputs]; before ComfyUI 0.3.68
    // extra_data carried the submitter's Comfy.org keys.
    if (!item || item->size() < 4)
        return;
    UserScope::scrubApiKeys(item->getObject(3));
}

} // namespace

std::string PromptRoutes::userPrefix(const std::string& userId, const std::string& prefix)
{
    std::string rest = prefix;
    while (!rest.empty() && (rest.front() == '/' || rest.front() == '\\'))
        rest.erase(0, 1);
    std::istringstream parts(rest);
    std::string part;
    while (std::getline(parts, part, '/')) {
        if (part == ".." || part.find('\\') != std::string::npos)
            throw promptError(400, "invalid_prompt", "filename_prefix may not leave your output folder");
    }
    if (rest.empty())
        rest = "ComfyUI";
    if (rest.rfind(userId + "/", 0) == 0)
        return rest;
    return userId + "/" + rest;
}

void PromptRoutes::registerAll(RouteRegistry& routes)
{
    auto submit = RouteSpec::make("POST", "/prompt", Access::Permission,
                                  "queue a prompt (recorded as yours; filename_prefix moved into your folder)",
                                  [this](HttpExchange& e) { this->submit(e); }, "can_run");
    submit.apiTwin = true;
    submit.bodyLimit = 32 * 1024 * 1024;
    routes.add(submit);
    auto queue = RouteSpec::make("GET", "/queue", Access::Permission, "your running and pending prompts",
                                 [this](HttpExchange& e) { this->queue(e); }, "can_access_api");
    queue.apiTwin = true;
    routes.add(queue);
    auto history = RouteSpec::make("GET", "/history", Access::Permission, "your prompt history (max_items, offset)",
                                   [this](HttpExchange& e) { this->history(e); }, "can_access_api");
    history.apiTwin = true;
    routes.add(history);
    auto item = RouteSpec::make("GET", "/history/{prompt_id}", Access::Permission,
                                "one of your prompts ({} for others' and unknown ones)",
                                [this](HttpExchange& e) { historyItem(e); }, "can_access_api");
    item.apiTwin = true;
    routes.add(item);
}

void PromptRoutes::submit(HttpExchange& exchange)
{
    try {
        submitChecked(exchange);
    } catch (const PromptRefusal& refusal) {
        exchange.sendJson(refusal.status, refusalBody(refusal));
    }
}

void PromptRoutes::submitChecked(HttpExchange& exchange)
{
    Poco::JSON::Object::Ptr body;
    try {
        body = parseOrdered(exchange.body()).extract<Poco::JSON::Object::Ptr>();
    } catch (...) {
        throw promptError(400, "invalid_json", "the body must be a JSON object with a \"prompt\"");
    }
    auto graph = body->getObject("prompt");
    if (!graph)
        throw promptError(400, "no_prompt", "No prompt provided");
    const Principal& user = exchange.principal();

    // Everything the graph writes goes under the user's own output folder.
    if (_separateUsers) {
        for (const auto& [nodeId, nodeVar] : *graph) {
            if (nodeVar.type() != typeid(Poco::JSON::Object::Ptr))
                continue;
            auto inputs = nodeVar.extract<Poco::JSON::Object::Ptr>()->getObject("inputs");
            if (inputs && inputs->has("filename_prefix") && inputs->get("filename_prefix").isString())
                inputs->set("filename_prefix", userPrefix(user.userId, inputs->getValue<std::string>("filename_prefix")));
        }
    }

    Poco::JSON::Object::Ptr subject = new Poco::JSON::Object;
    subject->set("username", user.username);
    subject->set("role", user.role);
    subject->set("user_id", user.userId);
    Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
    request->set("workflow", graph);
    request->set("client_id", body->optValue<std::string>("client_id", ""));
    const Verdict verdict = _policy.call("prompt", subject, request);
    if (!verdict.allowed())
        throw promptError(403, "policy_denied", verdict.reason.empty() ? "refused by the prompt policy" : verdict.reason);
    if (verdict.decision == Verdict::Decision::Modify) {
        const auto changed = verdict.value.extract<Poco::JSON::Object::Ptr>();
        if (!changed || !changed->getObject("workflow"))
            throw promptError(500, "policy_error", "the prompt policy returned no workflow");
        body->set("prompt", changed->getObject("workflow"));
    }
    if (auto refusal = _fileCheck.refusal(user, body->getObject("prompt")))
        throw promptError(403, "file_not_allowed", *refusal);
    _modelGrants.checkPrompt(user, body->getObject("prompt"));

    // ComfyUI sends the events of every prompt to the gateway's one socket; the client's own
    // client_id is recorded, and the hub routes the events to that tab of this user.
    const std::string clientId = body->optValue<std::string>("client_id", "");
    body->set("client_id", _gatewaySid);

    std::string promptId = body->optValue<std::string>("prompt_id", "");
    if (promptId.empty())
        promptId = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    body->set("prompt_id", promptId);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    // Recorded before ComfyUI sees it, so its first event already has an owner.
    if (!_owners.record(promptId, user.userId, clientId, now))
        throw promptError(400, "prompt_id_exists", "prompt_id " + promptId + " is already in use: choose another");

    UpstreamClient::Answer answer;
    try {
        answer = _upstream.fetch("POST", exchange.request().getURI(), stringify(body));
    } catch (...) {
        _owners.forget(promptId);
        throw;
    }
    if (answer.status != 200)
        _owners.forget(promptId);
    UpstreamClient::relay(exchange, answer);
}

Poco::JSON::Object::Ptr PromptRoutes::upstreamJson(HttpExchange& exchange, const std::string& pathAndQuery)
{
    (void)exchange;
    const auto answer = _upstream.fetch("GET", pathAndQuery);
    if (answer.status != 200)
        throw HttpError(502, "ComfyUI answered " + pathAndQuery + " with status " + std::to_string(answer.status));
    try {
        return parseOrdered(answer.body).extract<Poco::JSON::Object::Ptr>();
    } catch (...) {
        throw HttpError(502, "ComfyUI answered " + pathAndQuery + " with something that is not a JSON object");
    }
}

void PromptRoutes::queue(HttpExchange& exchange)
{
    const bool twin = exchange.request().getURI().rfind("/api/", 0) == 0;
    auto queue = upstreamJson(exchange, twin ? "/api/queue" : "/queue");
    const bool all = _scope.seesEveryone(exchange.principal());
    const auto mine = all ? std::set<std::string>() : _owners.promptsOf(exchange.principal().userId);
    Poco::JSON::Object::Ptr filtered = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const char* list : {"queue_running", "queue_pending"}) {
        Poco::JSON::Array::Ptr kept = new Poco::JSON::Array;
        if (auto items = queue->getArray(list)) {
            for (std::size_t i = 0; i < items->size(); ++i) {
                auto item = items->getArray(static_cast<unsigned>(i));
                if (!item || item->size() < 2)
                    continue;
                if (all || mine.count(item->getElement<std::string>(1))) {
                    stripApiKeys(item);
                    kept->add(item);
                }
            }
        }
        filtered->set(list, kept);
    }
    exchange.sendJson(200, filtered);
}

void PromptRoutes::history(HttpExchange& exchange)
{
    const bool twin = exchange.request().getURI().rfind("/api/", 0) == 0;
    // The whole history, filtered, then paged: paging the global list would mix users.
    auto history = upstreamJson(exchange, twin ? "/api/history" : "/history");
    const bool all = _scope.seesEveryone(exchange.principal());
    const auto mine = all ? std::set<std::string>() : _owners.promptsOf(exchange.principal().userId);
    std::vector<std::pair<std::string, Poco::Dynamic::Var>> items;
    for (const auto& key : history->getNames()) {
        if (all || mine.count(key)) {
            auto entry = history->getObject(key);
            if (entry)
                stripApiKeys(entry->getArray("prompt"));
            items.emplace_back(key, history->get(key));
        }
    }
    std::size_t begin = 0;
    std::size_t end = items.size();
    const auto maxItems = exchange.query("max_items");
    const auto offset = exchange.query("offset");
    int count = 0;
    int from = 0;
    if (maxItems && !Poco::NumberParser::tryParse(*maxItems, count))
        throw HttpError(400, "max_items must be a whole number");
    if (offset && !Poco::NumberParser::tryParse(*offset, from))
        throw HttpError(400, "offset must be a whole number");
    if (maxItems && count >= 0) {
        if (offset && from >= 0) {
            begin = std::min<std::size_t>(static_cast<std::size_t>(from), items.size());
            end = std::min(items.size(), begin + static_cast<std::size_t>(count));
        } else {
            begin = items.size() > static_cast<std::size_t>(count) ? items.size() - count : 0; // the last N
        }
    }
    Poco::JSON::Object::Ptr page = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (std::size_t i = begin; i < end; ++i)
        page->set(items[i].first, items[i].second);
    exchange.sendJson(200, page);
}

void PromptRoutes::historyItem(HttpExchange& exchange)
{
    const std::string& id = exchange.param("prompt_id");
    const auto owner = _owners.ownerOf(id);
    // Another user's prompt looks exactly like an unknown one.
    if (!_scope.seesEveryone(exchange.principal()) && (!owner || *owner != exchange.principal().userId)) {
        exchange.sendJson(200, Poco::JSON::Object::Ptr(new Poco::JSON::Object));
        return;
    }
    auto item = upstreamJson(exchange, exchange.request().getURI());
    if (auto entry = item->getObject(id))
        stripApiKeys(entry->getArray("prompt"));
    exchange.sendJson(200, item);
}

} // namespace comfygate::comfyproxy
