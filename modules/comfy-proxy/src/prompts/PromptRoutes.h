#pragma once

#include "JsonObjectText.h"
#include "ModelCatalog.h"
#include "ModelGrantCheck.h"
#include "PromptOwners.h"
#include "UpstreamHosts.h"
#include "UserScope.h"
#include "WorkflowFileCheck.h"

#include <Poco/JSON/Object.h>

#include <map>
#include <set>
#include <string>
#include <string_view>

namespace Poco {
class Logger;
}

namespace comfygate {
class HttpExchange;
class Policy;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// Prompts, queue and history per user. POST /prompt records the submitter, refuses a
/// prompt_id that exists, sends ComfyUI the gateway's own WebSocket sid as `client_id` (the
/// client's own is recorded with the prompt, for the WebSocketHub), moves every `filename_prefix` into
/// the user's output subfolder, asks the `prompt` policy hook and refuses models the user
/// may not use (model isolation), then asks the `model` hook about each model the graph names
/// and the `queue` hook for ComfyUI's priority (front, number); GET /queue and /history show
/// each user only their own items (all of them with can_view_all_comfyui_items) and never the
/// Comfy.org API keys old ComfyUI versions leak there. With several ComfyUI hosts a prompt goes
/// to the host UpstreamHosts::place() picks (the `prompt` hook may name labels), its history
/// item comes from that host, and /queue and /history merge every reachable host.
class PromptRoutes
{
public:
    PromptRoutes(UpstreamHosts& hosts, PromptOwners& owners, Policy& policy, WorkflowFileCheck& fileCheck,
                 ModelGrantCheck& modelGrants, ModelCatalog& catalog, Poco::Logger& logger, std::string gatewaySid,
                 bool separateUsers)
        : _hosts(hosts), _owners(owners), _policy(policy), _fileCheck(fileCheck), _modelGrants(modelGrants),
          _catalog(catalog), _logger(logger), _gatewaySid(std::move(gatewaySid)), _scope(separateUsers),
          _separateUsers(separateUsers)
    {
    }
    void registerAll(RouteRegistry& routes);

    /// `<prefix>` → `<userId>/<prefix>`, refusing absolute paths and `..`.
    static std::string userPrefix(const std::string& userId, const std::string& prefix);

private:
    void submit(HttpExchange& exchange);
    void submitChecked(HttpExchange& exchange);
    void queue(HttpExchange& exchange);
    void history(HttpExchange& exchange);
    void historyItem(HttpExchange& exchange);
    /// Asks the `model` hook about every model reference of the graph; the first deny throws
    /// a 403 refusal naming the model.
    void askModelHook(const Poco::JSON::Object::Ptr& subject, const Poco::JSON::Object::Ptr& graph);
    /// Asks the `queue` hook and applies the `front` / `number` it returns to the body sent upstream.
    void askQueueHook(const Poco::JSON::Object::Ptr& subject, const Poco::JSON::Object::Ptr& body,
                      JsonObjectText& upstreamBody);
    /// The graph's text with the `filename_prefix` of each node in `prefixes` (node id → prefix)
    /// replaced, every other byte as written.
    static std::string withPrefixes(std::string_view graphText, const std::map<std::string, std::string>& prefixes);
    Poco::JSON::Object::Ptr upstreamJson(UpstreamClient& upstream, const std::string& pathAndQuery);
    /// The `upstream_labels` a `prompt` policy result asks for (a string or a list of strings).
    static std::set<std::string> labelsOf(const Poco::JSON::Object::Ptr& result);

    UpstreamHosts& _hosts;
    PromptOwners& _owners;
    Policy& _policy;
    WorkflowFileCheck& _fileCheck;
    ModelGrantCheck& _modelGrants;
    ModelCatalog& _catalog;
    Poco::Logger& _logger;
    std::string _gatewaySid;
    UserScope _scope;
    bool _separateUsers;
};

} // namespace comfygate::comfyproxy
