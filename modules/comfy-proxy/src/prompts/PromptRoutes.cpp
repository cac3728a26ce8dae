#include "PromptRoutes.h"

#include "ClientBody.h"
#include "HistoryFilter.h"
#include "JsonObjectText.h"
#include "LostPrompts.h"
#include "ModelReferences.h"

#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Policy.h"
#include "comfygate/PolicySubject.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/UUIDGenerator.h>

#include <chrono>
#include <map>
#include <optional>
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
    const std::string& text = exchange.body();
    Poco::JSON::Object::Ptr body;
    std::optional<JsonObjectText> members;
    try {
        body = parseOrdered(text).extract<Poco::JSON::Object::Ptr>();
        members.emplace(text);
    } catch (...) {
        throw promptError(400, "invalid_json", "the body must be a JSON object with a \"prompt\"");
    }
    auto graph = body->getObject("prompt");
    if (!graph)
        throw promptError(400, "no_prompt", "No prompt provided");
    const Principal& user = exchange.principal();
    // ComfyUI is sent the client's own bytes with only the members the gateway sets replaced:
    // Poco's parser accepted the whole text, and it refuses everything Python's json reads
    // differently (bad UTF-8, lone surrogates, NaN, numbers it cannot hold), while both keep a
    // repeated key's last value, so ComfyUI reads the values checked here.
    JsonObjectText& upstreamBody = *members;

    // Everything the graph writes goes under the user's own output folder.
    std::map<std::string, std::string> prefixes; // node id → its new filename_prefix
    if (_separateUsers) {
        for (const auto& [nodeId, nodeVar] : *graph) {
            if (nodeVar.type() != typeid(Poco::JSON::Object::Ptr))
                continue;
            auto inputs = nodeVar.extract<Poco::JSON::Object::Ptr>()->getObject("inputs");
            if (inputs && inputs->has("filename_prefix") && inputs->get("filename_prefix").isString()) {
                const std::string prefix = inputs->getValue<std::string>("filename_prefix");
                const std::string mine = userPrefix(user.userId, prefix);
                inputs->set("filename_prefix", mine);
                if (mine != prefix)
                    prefixes.emplace(nodeId, mine);
            }
        }
    }

    const Poco::JSON::Object::Ptr subject = policySubject(exchange);
    Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
    request->set("workflow", graph);
    request->set("client_id", body->optValue<std::string>("client_id", ""));
    const Verdict verdict = _policy.call("prompt", subject, request);
    if (!verdict.allowed())
        throw promptError(403, "policy_denied", verdict.reason.empty() ? "refused by the prompt policy" : verdict.reason);
    std::set<std::string> labels;
    Poco::JSON::Object::Ptr rewritten;
    if (verdict.decision == Verdict::Decision::Modify) {
        const auto changed = verdict.value.extract<Poco::JSON::Object::Ptr>();
        labels = labelsOf(changed);
        if (!changed || (!changed->getObject("workflow") && labels.empty()))
            throw promptError(500, "policy_error", "the prompt policy returned no workflow");
        rewritten = changed->getObject("workflow");
    }
    if (rewritten) {
        graph = rewritten;
        body->set("prompt", graph);
        upstreamBody.set("prompt", stringify(graph));
    } else if (!prefixes.empty()) {
        upstreamBody.set("prompt", withPrefixes(*upstreamBody.value("prompt"), prefixes));
    }
    if (auto refusal = _fileCheck.refusal(user, graph))
        throw promptError(403, "file_not_allowed", *refusal);
    _modelGrants.checkPrompt(user, graph);
    askModelHook(subject, graph);
    askQueueHook(subject, body, upstreamBody);

    // ComfyUI sends the events of every prompt to the gateway's one socket; the client's own
    // client_id is recorded, and the hub routes the events to that tab of this user.
    const std::string clientId = body->optValue<std::string>("client_id", "");
    upstreamBody.set("client_id", JsonObjectText::quote(_gatewaySid));

    std::string promptId = body->optValue<std::string>("prompt_id", "");
    if (promptId.empty())
        promptId = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    upstreamBody.set("prompt_id", JsonObjectText::quote(promptId));
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    UpstreamHost& host = _hosts.place(promptId, labels);
    // Recorded before ComfyUI sees it, so its first event already has an owner (and a host).
    if (!_owners.record(promptId, user.userId, clientId, now, user.sessionId, _hosts.several() ? host.url() : "")) {
        host.untrack(promptId);
        throw promptError(400, "prompt_id_exists", "prompt_id " + promptId + " is already in use: choose another");
    }

    UpstreamClient::Answer answer;
    try {
        answer = host.client().fetch("POST", exchange.request().getURI(), upstreamBody.render());
    } catch (...) {
        host.untrack(promptId);
        _owners.forget(promptId);
        throw;
    }
    if (answer.status != 200) {
        host.untrack(promptId);
        _owners.forget(promptId);
    }
    UpstreamClient::relay(exchange, answer);
}

std::string PromptRoutes::withPrefixes(std::string_view graphText, const std::map<std::string, std::string>& prefixes)
{
    JsonObjectText graph(graphText);
    std::vector<std::string> nodes; // the rendered texts must live until the graph is rendered
    nodes.reserve(prefixes.size());
    for (const auto& [nodeId, prefix] : prefixes) {
        JsonObjectText node(*graph.value(nodeId));
        JsonObjectText inputs(*node.value("inputs"));
        inputs.set("filename_prefix", JsonObjectText::quote(prefix));
        node.set("inputs", inputs.render());
        nodes.push_back(node.render());
        graph.set(nodeId, nodes.back());
    }
    return graph.render();
}

std::set<std::string> PromptRoutes::labelsOf(const Poco::JSON::Object::Ptr& result)
{
    std::set<std::string> labels;
    if (!result || !result->has("upstream_labels"))
        return labels;
    const auto value = result->get("upstream_labels");
    if (value.isString()) {
        labels.insert(value.convert<std::string>());
    } else if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto list = value.extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; i < list->size(); ++i)
            if (list->get(static_cast<unsigned>(i)).isString())
                labels.insert(list->getElement<std::string>(static_cast<unsigned>(i)));
    }
    if (labels.empty())
        throw promptError(500, "policy_error", "the prompt policy's upstream_labels must be a label or a list of labels");
    return labels;
}

void PromptRoutes::askModelHook(const Poco::JSON::Object::Ptr& subject, const Poco::JSON::Object::Ptr& graph)
{
    for (const auto& reference : modelReferences(*_catalog.snapshot(), graph)) {
        const std::string folder = *reference.folders.begin();
        Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
        request->set("name", reference.name);
        request->set("folder", folder);
        request->set("node_id", reference.nodeId);
        request->set("class_type", reference.classType);
        request->set("input", reference.input);
        const Verdict verdict = _policy.call("model", subject, request);
        if (!verdict.allowed())
            throw promptError(403, "model_denied",
                              "model " + folder + "/" + reference.name + " (node " + reference.nodeId + ", input " +
                                  reference.input + ") refused by the model policy" +
                                  (verdict.reason.empty() ? std::string() : ": " + verdict.reason));
    }
}

void PromptRoutes::askQueueHook(const Poco::JSON::Object::Ptr& subject, const Poco::JSON::Object::Ptr& body,
                                JsonObjectText& upstreamBody)
{
    const auto graph = body->getObject("prompt");
    Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
    request->set("workflow_nodes", static_cast<Poco::Int64>(graph ? graph->size() : 0));
    request->set("client_id", body->optValue<std::string>("client_id", ""));
    const Poco::Dynamic::Var front = body->has("front") ? body->get("front") : Poco::Dynamic::Var();
    request->set("front", !front.isEmpty() && front.isBoolean() && front.extract<bool>());
    if (body->has("number") && body->get("number").isNumeric())
        request->set("number", body->get("number"));
    const Verdict verdict = _policy.call("queue", subject, request);
    if (verdict.decision != Verdict::Decision::Modify)
        return;
    Poco::JSON::Object::Ptr changed;
    if (verdict.value.type() == typeid(Poco::JSON::Object::Ptr))
        changed = verdict.value.extract<Poco::JSON::Object::Ptr>();
    if (!changed)
        return;
    // Only ComfyUI's priority is the hook's to set: "front" puts the prompt first, "number"
    // orders it among the others (lower runs earlier).
    for (const auto& [key, value] : *changed) {
        if (request->has(key) && stringify(request->get(key)) == stringify(value))
            continue; // handed back unchanged
        if (key == "front" && value.isBoolean()) {
            upstreamBody.set("front", value.extract<bool>() ? "true" : "false");
        } else if (key == "number" && value.isNumeric()) {
            upstreamBody.set("number", value.isInteger() ? stringify(value.convert<Poco::Int64>())
                                                         : stringify(value.convert<double>()));
        } else {
            _logger.warning("the queue policy changed \"%s\", which it cannot set (only front and number): ignored",
                            key);
        }
    }
}

Poco::JSON::Object::Ptr PromptRoutes::upstreamJson(UpstreamClient& upstream, const std::string& pathAndQuery)
{
    const auto answer = upstream.fetch("GET", pathAndQuery);
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
    std::vector<Poco::JSON::Object::Ptr> queues;
    for (UpstreamHost* host : _hosts.reachable()) {
        try {
            queues.push_back(upstreamJson(host->client(), twin ? "/api/queue" : "/queue"));
        } catch (const HttpError& e) {
            if (!_hosts.several())
                throw;
            host->noteError(e.what()); // the other hosts still answer; the monitor decides if it is down
        }
    }
    if (queues.empty())
        throw HttpError(502, "no ComfyUI host answered GET /queue: comfygate upstreams shows their state",
                        "upstream_unavailable");
    const bool all = _scope.seesEveryone(exchange.principal());
    const auto mine = all ? std::set<std::string>() : _owners.promptsOf(exchange.principal().userId);
    Poco::JSON::Object::Ptr filtered = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const char* list : {"queue_running", "queue_pending"}) {
        Poco::JSON::Array::Ptr kept = new Poco::JSON::Array;
        for (const auto& queue : queues) {
            const auto items = queue->getArray(list);
            if (!items)
                continue;
            for (std::size_t i = 0; i < items->size(); ++i) {
                auto item = items->getArray(static_cast<unsigned>(i));
                if (!item || item->size() < 2)
                    continue;
                if (all || mine.count(item->getElement<std::string>(1))) {
                    UserScope::scrubQueueItem(item);
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
    const std::string path = twin ? "/api/history" : "/history";
    const auto page = HistoryPage::fromQuery(exchange.query("max_items"), exchange.query("offset"));
    // The whole history of every host, filtered, then paged: paging the global list would mix users.
    std::vector<std::string> bodies;
    for (UpstreamHost* host : _hosts.reachable()) {
        try {
            const auto answer = host->client().fetch("GET", path);
            if (answer.status != 200)
                throw HttpError(502, "ComfyUI answered " + path + " with status " + std::to_string(answer.status));
            bodies.push_back(answer.body);
        } catch (const HttpError& e) {
            if (!_hosts.several())
                throw;
            host->noteError(e.what());
        }
    }
    std::vector<HistoryFilter> filters;
    filters.reserve(bodies.size() + 1);
    std::set<std::string> present;
    try {
        for (const auto& body : bodies) {
            filters.emplace_back(body);
            for (const auto& id : filters.back().promptIds())
                present.insert(id);
        }
    } catch (const JsonMembers::Malformed&) {
        throw HttpError(502, "ComfyUI answered " + path + " with something that is not a JSON object");
    }
    const bool everyone = _scope.seesEveryone(exchange.principal());
    // Prompts lost with a host that stopped answering: their entries say so.
    std::string lost;
    if (_hosts.several()) {
        lost = LostPrompts::historyOf(_owners.failures(everyone ? "" : exchange.principal().userId), present);
        filters.emplace_back(lost);
    }
    std::vector<const HistoryFilter*> histories;
    std::vector<std::string> ids;
    for (const auto& filter : filters) {
        histories.push_back(&filter);
        for (auto& id : filter.promptIds())
            ids.push_back(std::move(id));
    }
    std::string body;
    if (everyone) {
        body = HistoryFilter::render(histories, [](const std::string&) { return true; }, page);
    } else {
        const auto mine = _owners.ownedBy(exchange.principal().userId, ids);
        body = HistoryFilter::render(histories, [&mine](const std::string& id) { return mine.count(id) != 0; }, page);
    }
    ClientBody::send(exchange, 200, "application/json", body);
}

void PromptRoutes::historyItem(HttpExchange& exchange)
{
    const std::string& id = exchange.param("prompt_id");
    const auto submitter = _owners.submitterOf(id);
    // Another user's prompt looks exactly like an unknown one.
    if (!_scope.seesEveryone(exchange.principal()) && (!submitter || submitter->userId != exchange.principal().userId)) {
        exchange.sendJson(200, Poco::JSON::Object::Ptr(new Poco::JSON::Object));
        return;
    }
    UpstreamHost& host = _hosts.hostFor(submitter ? submitter->upstream : "");
    Poco::JSON::Object::Ptr item;
    try {
        item = upstreamJson(host.client(), exchange.request().getURI());
    } catch (const HttpError&) {
        if (!_hosts.several())
            throw;
    }
    if ((!item || !item->has(id)) && _hosts.several()) {
        // Lost with its host: the gateway's own entry, as in GET /history.
        for (const auto& failure : _owners.failures(submitter ? submitter->userId : ""))
            if (failure.promptId == id)
                item = parseOrdered(LostPrompts::historyOf({failure}, {})).extract<Poco::JSON::Object::Ptr>();
        if (!item)
            throw HttpError(502, "the ComfyUI host " + host.url() + " that ran prompt " + id + " does not answer",
                            "upstream_unavailable");
    }
    if (auto entry = item->getObject(id))
        UserScope::scrubQueueItem(entry->getArray("prompt"));
    exchange.sendJson(200, item);
}

} // namespace comfygate::comfyproxy
