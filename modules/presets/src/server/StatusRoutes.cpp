#include "StatusRoutes.h"

#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Array.h>

namespace comfygate::presets {
namespace {

Poco::JSON::Object::Ptr backend(const std::string& status, const std::string& cssClass, const std::string& message)
{
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
    object->set("status", status);
    object->set("class", cssClass);
    object->set("message", message);
    object->set("any_loading", false); // ComfyUI does not say when it loads a model
    return object;
}

} // namespace

void StatusRoutes::registerAll(RouteRegistry& routes)
{
    swarm::addRoute(
        routes,
        {.name = "GetCurrentStatus",
         .group = "BasicAPIFeatures",
         .permission = "fundamental_generate_tab_access",
         .description = "The caller's generations (`waiting_gens`: queued in ComfyUI, `live_gens`: running) and the "
                        "state of the ComfyUI backend: `idle`, `running` (someone's prompt runs), `errored` when "
                        "ComfyUI does not answer (the message says what to check) or `empty` when this server "
                        "has no ComfyUI proxy. ComfyUI does not report model loading, so `loading_models` and "
                        "`waiting_backends` stay 0.",
         .parameters = {},
         .returnExample = R"({"status": {"waiting_gens": 2, "loading_models": 0, "waiting_backends": 0, "live_gens": 1},
 "backend_status": {"status": "running", "class": "", "message": "", "any_loading": false},
 "supported_features": ["comfyui"]})"},
        [this](swarm::Call&, HttpExchange& exchange, const swarm::Emit&) { return getCurrentStatus(exchange); });
    swarm::addRoute(
        routes,
        {.name = "InterruptAll",
         .group = "BasicAPIFeatures",
         .permission = "basic_image_generation",
         .description = "Cancels the caller's generations: removes their queued prompts from ComfyUI's queue and "
                        "interrupts the running prompt only when it is theirs. Without `other_sessions`, only "
                        "prompts submitted under the calling session (the sign-in the session_id was made from); "
                        "with it, every prompt of the caller. Other users' prompts are never touched.",
         .parameters = {swarm::Parameter::optional("other_sessions", swarm::ParamType::Bool,
                                                   "also cancel what the caller's other sessions submitted", false)},
         .returnExample = R"({"success": true})",
         .userUpdate = true},
        [this](swarm::Call& call, HttpExchange& exchange, const swarm::Emit&) { return interruptAll(call, exchange); });
}

std::shared_ptr<services::ComfyQueue> StatusRoutes::queue() const
{
    return _services.find<services::ComfyQueue>(services::ComfyQueue::serviceName);
}

Poco::JSON::Object::Ptr StatusRoutes::backendStatus(const services::ComfyQueue::Counts* counts)
{
    if (!counts)
        return backend("empty", "warn",
                       "This server does not proxy ComfyUI: the operator adds the comfy-proxy "
                       "module to modules.enabled.");
    if (!counts->reachable)
        return backend("errored", "error",
                       "ComfyUI at " + counts->upstreamUrl + " does not answer (" + counts->problem +
                           "). Start ComfyUI, or ask the operator to check comfy.url.");
    if (counts->totalRunning + counts->totalPending > 0)
        return backend("running", "", "");
    return backend("idle", "", "");
}

Poco::JSON::Object::Ptr StatusRoutes::getCurrentStatus(HttpExchange& exchange)
{
    const auto service = queue();
    services::ComfyQueue::Counts counts;
    if (service)
        counts = service->countsFor(exchange.principal().userId);
    Poco::JSON::Object::Ptr status = new Poco::JSON::Object;
    status->set("waiting_gens", counts.userPending);
    status->set("loading_models", 0);
    status->set("waiting_backends", 0);
    status->set("live_gens", counts.userRunning);
    Poco::JSON::Array::Ptr features = new Poco::JSON::Array;
    if (service && counts.reachable)
        features->add("comfyui");
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("status", status);
    answer->set("backend_status", backendStatus(service ? &counts : nullptr));
    answer->set("supported_features", features);
    return answer;
}

Poco::JSON::Object::Ptr StatusRoutes::interruptAll(swarm::Call& call, HttpExchange& exchange)
{
    const auto service = queue();
    if (!service)
        throw swarm::Refusal("This server does not proxy ComfyUI, so there is nothing to interrupt.", "unavailable");
    const Principal& principal = exchange.principal();
    const bool everySession = call.boolean("other_sessions");
    // A credential without a session id (none today) can only mean all of the user's prompts.
    const std::string session = everySession ? std::string() : principal.sessionId;
    try {
        const auto cancelled = service->cancel(principal.userId, session);
        _logger.information("%s interrupted their generations (%s): %d removed from the queue%s", principal.username,
                            std::string(everySession ? "every session" : "this session"), cancelled.deleted,
                            std::string(cancelled.interrupted ? ", the running one stopped" : ""));
    } catch (const std::runtime_error& e) {
        throw swarm::Refusal("ComfyUI could not be reached to cancel your generations: " + std::string(e.what()),
                             "backend_unavailable");
    }
    return swarm::success();
}

} // namespace comfygate::presets
