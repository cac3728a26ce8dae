#include "KernelRoutes.h"

#include "Configuration.h"
#include "Kernel.h"
#include "MetricsRegistry.h"
#include "OpenApiBuilder.h"
#include "Router.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace comfygate {

void KernelRoutes::registerAll()
{
    Router& router = _kernel.router();
    Kernel& kernel = _kernel;

    RouteSpec healthz;
    healthz.method = "GET";
    healthz.pattern = "/healthz";
    healthz.access = Access::Public;
    healthz.description = "liveness: the process answers";
    healthz.handler = [](HttpExchange& exchange) {
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        body->set("status", "ok");
        exchange.sendJson(200, body);
    };
    router.add(healthz, "kernel");

    RouteSpec readyz;
    readyz.method = "GET";
    readyz.pattern = "/readyz";
    readyz.access = Access::Public;
    readyz.description = "readiness: every subsystem started and the server is not draining";
    readyz.handler = [&kernel](HttpExchange& exchange) {
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        const bool ready = kernel.ready();
        body->set("status", ready ? "ready" : "draining");
        exchange.sendJson(ready ? 200 : 503, body);
    };
    router.add(readyz, "kernel");

    RouteSpec metrics;
    metrics.method = "GET";
    metrics.pattern = "/metrics";
    metrics.access = Access::Public; // checked below: loopback peers, or the permission
    metrics.description = "Prometheus metrics (loopback clients, or with http.metrics_permission)";
    metrics.handler = [&kernel](HttpExchange& exchange) {
        const bool loopback = exchange.request().clientAddress().host().isLoopback() && exchange.client().isLoopback();
        const std::string& permission = kernel.settings().metricsPermission;
        if (!loopback && !exchange.principal().has(permission)) {
            if (!exchange.principal().authenticated)
                throw HttpError(401, "metrics need a loopback client or a token with " + permission);
            throw HttpError(403, "permission " + permission + " required");
        }
        exchange.sendText(200, "text/plain; version=0.0.4", kernel.metrics().render());
    };
    router.add(metrics, "kernel");

    RouteSpec openapi;
    openapi.method = "GET";
    openapi.pattern = "/openapi.json";
    openapi.access = Access::Public;
    openapi.description = "OpenAPI 3 description of every registered route";
    openapi.handler = [&kernel](HttpExchange& exchange) {
        exchange.response().set("Cache-Control", "no-cache");
        exchange.sendText(200, "application/json", OpenApiBuilder(kernel.router()).build());
    };
    router.add(openapi, "kernel");

    RouteSpec reload;
    reload.method = "POST";
    reload.pattern = "/mss-login/api/admin/policies/reload";
    reload.apiTwin = true;
    reload.access = Access::Permission;
    reload.permission = "can_reload_policies";
    reload.description = "compile the Lua policies and swap them in; on errors the old ones stay";
    reload.handler = [&kernel](HttpExchange& exchange) {
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
    };
    router.add(reload, "kernel");
}

} // namespace comfygate
