#include "KernelRoutes.h"

#include "AuditSearchRoute.h"
#include "Configuration.h"
#include "ConsoleRoutes.h"
#include "Kernel.h"
#include "MetricsRegistry.h"
#include "OpenApiBuilder.h"
#include "PolicyDryRun.h"
#include "PolicyEffectsSettings.h"
#include "PolicyEngine.h"
#include "PolicyFiles.h"
#include "Router.h"
#include "SwarmDispatcher.h"
#include "SwarmRouteDocs.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Array.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>

#include <optional>
#include <stdexcept>

namespace comfygate {
namespace {

const char* const noGetApiPage = R"(<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>API calls need POST</title></head>
<body>
<h1>This is an API route</h1>
<p>The SwarmUI API under <code>/API/</code> is called with <code>POST</code> and a JSON object body
(<code>Content-Type: application/json</code>), not opened in a browser.</p>
<p>The routes and their parameters are listed at <a href="/API/docs">/API/docs</a>.</p>
</body>
</html>
)";

Poco::Dynamic::Var exampleJson(const std::string& text)
{
    if (text.empty())
        return Poco::JSON::Object::Ptr(new Poco::JSON::Object);
    try {
        return Poco::JSON::Parser().parse(text);
    } catch (const Poco::Exception&) {
        return text;
    }
}

Poco::JSON::Object::Ptr problemJson(const PolicyFiles::Problem& problem)
{
    Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
    item->set("file", problem.file.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(problem.file));
    item->set("line", problem.line ? Poco::Dynamic::Var(*problem.line) : Poco::Dynamic::Var());
    item->set("message", problem.message);
    return item;
}

std::string isoTime(std::int64_t seconds)
{
    return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(seconds)),
                                           Poco::DateTimeFormat::ISO8601_FORMAT);
}

Poco::JSON::Object::Ptr policyOverview(const PolicyEngine& engine)
{
    const auto reload = engine.lastReload();
    Poco::JSON::Array::Ptr hooks = new Poco::JSON::Array;
    for (const auto& spec : engine.hooks()) {
        Poco::JSON::Object::Ptr hook = new Poco::JSON::Object;
        hook->set("name", spec.name);
        hook->set("description", spec.description);
        hook->set("fail_mode", spec.failMode == FailMode::Closed ? "closed" : "open");
        hook->set("subject_example", exampleJson(spec.subjectExample));
        hook->set("request_example", exampleJson(spec.requestExample));
        const auto handlers = reload.activeHandlers.find(spec.name);
        hook->set("handlers", handlers == reload.activeHandlers.end() ? std::size_t(0) : handlers->second);
        hooks->add(hook);
    }
    Poco::JSON::Object::Ptr last = new Poco::JSON::Object;
    last->set("at", reload.at == 0 ? Poco::Dynamic::Var() : Poco::Dynamic::Var(isoTime(reload.at)));
    last->set("ok", reload.errors.empty());
    Poco::JSON::Array::Ptr errors = new Poco::JSON::Array;
    Poco::JSON::Array::Ptr problems = new Poco::JSON::Array;
    for (const auto& error : reload.errors) {
        errors->add(error);
        problems->add(problemJson(PolicyFiles::parseError(error)));
    }
    last->set("errors", errors);
    last->set("problems", problems);

    // The files on disk now; GET .../policies/source tells whether one is what runs.
    Poco::JSON::Array::Ptr files = new Poco::JSON::Array;
    for (const auto& file : PolicyFiles(engine.scriptsDirectory()).list()) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
        item->set("name", file.name);
        item->set("size", file.size);
        item->set("modified", isoTime(file.modified));
        files->add(item);
    }

    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("directory", engine.scriptsDirectory());
    body->set("generation", engine.generation());
    body->set("scripts", engine.activeGeneration()->scripts().size());
    body->set("last_reload", last);
    body->set("hooks", hooks);
    body->set("files", files);
    return body;
}

} // namespace

void KernelRoutes::registerAll()
{
    Router& router = _kernel.router();
    Kernel& kernel = _kernel;

    ConsoleRoutes(router, kernel.settings().wwwDir).registerAll();

    router.add(RouteSpec::make("GET", "/healthz", Access::Public, "liveness: the process answers",
                               [](HttpExchange& exchange) {
                                   Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
                                   body->set("status", "ok");
                                   exchange.sendJson(200, body);
                               }),
               "kernel");

    router.add(RouteSpec::make("GET", "/readyz", Access::Public,
                               "readiness: every subsystem started, the database reachable, not draining",
                               [&kernel](HttpExchange& exchange) {
                                   Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
                                   const bool ready = kernel.ready();
                                   body->set("status", ready                         ? "ready"
                                                       : !kernel.databaseReachable() ? "database_unreachable"
                                                                                     : "draining");
                                   exchange.sendJson(ready ? 200 : 503, body);
                               }),
               "kernel");

    // Public as a route; the handler admits loopback clients or the metrics permission.
    router.add(RouteSpec::make("GET", "/metrics", Access::Public,
                               "Prometheus metrics (loopback clients, or with http.metrics_permission)",
                               [&kernel](HttpExchange& exchange) {
                                   const bool loopback = exchange.request().clientAddress().host().isLoopback() &&
                                                         exchange.client().isLoopback();
                                   const std::string& permission = kernel.settings().metricsPermission;
                                   if (!loopback && !exchange.principal().has(permission)) {
                                       if (!exchange.principal().authenticated)
                                           throw HttpError(401, "metrics need a loopback client or a token with " +
                                                                    permission);
                                       throw HttpError(403, "permission " + permission + " required");
                                   }
                                   exchange.sendText(200, "text/plain; version=0.0.4", kernel.metrics().render());
                               }),
               "kernel");

    router.add(RouteSpec::make("GET", "/openapi.json", Access::Public, "OpenAPI 3 description of every registered route",
                               [&kernel](HttpExchange& exchange) {
                                   exchange.response().set("Cache-Control", "no-cache");
                                   exchange.sendText(200, "application/json", OpenApiBuilder(kernel.router()).build());
                               }),
               "kernel");

    router.add(RouteSpec::make("GET", "/API/docs", Access::Public,
                               "the SwarmUI routes (POST /API/<Name>) as Markdown docs, from their metadata",
                               [&kernel](HttpExchange& exchange) {
                                   exchange.response().set("Cache-Control", "no-cache");
                                   exchange.sendText(200, "text/markdown; charset=utf-8",
                                                     SwarmRouteDocs(kernel.router()).markdown());
                               }),
               "kernel");

    router.add(RouteSpec::make("GET", SwarmDispatcher::noGetPage, Access::Public,
                               "where SwarmUI API calls made with GET are redirected: the API needs POST with JSON",
                               [](HttpExchange& exchange) {
                                   exchange.sendText(200, "text/html; charset=utf-8", noGetApiPage);
                               }),
               "kernel");

    auto reload = RouteSpec::make(
        "POST", "/mss-login/api/admin/policies/reload", Access::Permission,
        "compile the Lua policies and swap them in; on errors the old ones stay",
        [&kernel](HttpExchange& exchange) {
            const auto errors = kernel.reloadPolicies(exchange.principal().username, exchange.client().toString());
            Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
            if (errors.empty()) {
                body->set("status", "ok");
                exchange.sendJson(200, body);
                return;
            }
            Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
            for (const auto& error : errors)
                list->add(error);
            body->set("error", "the policies have errors; the previous policies stay in force");
            body->set("errors", list);
            exchange.sendJson(422, body);
        },
        "can_reload_policies");
    reload.apiTwin = true;
    router.add(reload, "kernel");

    auto dryRun = RouteSpec::make(
        "POST", "/mss-login/api/admin/policies/dry-run", Access::Permission,
        "run one hook of the active policies on a given subject and request without side effects "
        "(counters read the live values, every write is simulated)",
        [&kernel](HttpExchange& exchange) {
            const auto body = exchange.jsonBody();
            if (!body->has("hook") || !body->get("hook").isString())
                throw HttpError(400, "hook (a string) is required");
            try {
                exchange.sendJson(200, PolicyDryRun(kernel.policy(), PolicyEffectsSettings::read(kernel.config()))
                                           .run(body->getValue<std::string>("hook"), body->get("subject"),
                                                body->get("request")));
            } catch (const std::invalid_argument& e) {
                throw HttpError(400, e.what());
            }
        },
        "can_reload_policies");
    dryRun.apiTwin = true;
    router.add(dryRun, "kernel");

    auto list = RouteSpec::make(
        "GET", "/mss-login/api/admin/policies", Access::Permission,
        "the policy hooks (fail mode, examples, handler counts), the active generation and the last reload",
        [&kernel](HttpExchange& exchange) { exchange.sendJson(200, policyOverview(kernel.policy())); },
        "can_reload_policies");
    list.apiTwin = true;
    router.add(list, "kernel");

    auto source = RouteSpec::make(
        "GET", "/mss-login/api/admin/policies/source", Access::Permission,
        "the text of one policy file as it is on disk now: ?file=nsfw.lua (a name from GET .../policies files)",
        [&kernel](HttpExchange& exchange) {
            const std::string name = exchange.query("file").value_or("");
            if (name.empty())
                throw HttpError::invalidParameter(
                    "file", "name a policy file, e.g. ?file=nsfw.lua (see GET /mss-login/api/admin/policies)");
            std::optional<std::string> text;
            try {
                text = PolicyFiles(kernel.policy().scriptsDirectory()).read(name);
            } catch (const std::runtime_error& e) {
                throw HttpError(500, e.what());
            }
            if (!text)
                throw HttpError(404, "no policy file named " + name + " in the policy directory");
            Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
            body->set("file", name);
            body->set("source", *text);
            body->set("active", PolicyFiles::isRunning(*kernel.policy().activeGeneration(), name, *text));
            exchange.response().set("Cache-Control", "no-store");
            exchange.sendJson(200, body);
        },
        "can_reload_policies");
    source.apiTwin = true;
    router.add(source, "kernel");

    auto edit = RouteSpec::make(
        "PUT", "/mss-login/api/admin/policies/source", Access::Permission,
        "replace one policy file's text ({\"source\"}) and reload; on errors the file goes back and the old policies "
        "stay",
        [&kernel](HttpExchange& exchange) {
            const std::string name = exchange.query("file").value_or("");
            if (name.empty())
                throw HttpError::invalidParameter("file", "name the policy file to replace, e.g. ?file=nsfw.lua");
            const auto body = exchange.jsonBody();
            if (!body->has("source") || !body->get("source").isString())
                throw HttpError::invalidParameter("source", "send {\"source\": \"<the file's new text>\"}");
            Kernel::PolicyEdit edit;
            try {
                edit = kernel.replacePolicyFile(name, body->getValue<std::string>("source"),
                                                exchange.principal().username, exchange.client().toString());
            } catch (const std::invalid_argument& e) {
                throw HttpError::invalidParameter("source", e.what());
            } catch (const std::runtime_error& e) {
                throw HttpError(500, e.what());
            }
            if (!edit.found)
                throw HttpError(404, "no policy file named " + name +
                                         " in the policy directory (new files are made on the server)");
            Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
            if (edit.errors.empty()) {
                answer->set("status", "ok");
                answer->set("generation", kernel.policy().generation());
                exchange.sendJson(200, answer);
                return;
            }
            Poco::JSON::Array::Ptr errors = new Poco::JSON::Array;
            Poco::JSON::Array::Ptr problems = new Poco::JSON::Array;
            for (const auto& error : edit.errors) {
                errors->add(error);
                problems->add(problemJson(PolicyFiles::parseError(error)));
            }
            answer->set("error",
                        "the policies have errors: the file is unchanged and the previous policies stay in force");
            answer->set("errors", errors);
            answer->set("problems", problems);
            exchange.sendJson(422, answer);
        },
        "can_edit_policies");
    edit.apiTwin = true;
    router.add(edit, "kernel");

    AuditSearchRoute(kernel.audit()).registerOn(router);
}

} // namespace comfygate
