#include "HttpPipeline.h"

#include "ConsoleHeaders.h"
#include "DatabaseBusy.h"
#include "ErrorResponse.h"
#include "FramedRequest.h"
#include "RequestBody.h"
#include "MetricsRegistry.h"
#include "PermissionTable.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <chrono>
#include <cstdio>
#include <random>

namespace comfygate {

namespace {

bool wantsHtml(const Poco::Net::HTTPServerRequest& request)
{
    return request.get("Accept", "").find("text/html") != std::string::npos;
}

/// The sign-in page, told where to return: the request's path and query as one query value.
std::string loginLocation(const std::string& requestUri)
{
    std::string next;
    Poco::URI::encode(requestUri, "!#$&'()*+,/:;=?@[]", next);
    return "/login?next=" + next;
}

} // namespace

HttpPipeline::HttpPipeline(Settings settings, const Router& router, const PermissionTable& permissions,
                           MetricsRegistry& metrics, AccessLog& accessLog)
    : _settings(std::move(settings)), _clients(_settings.trustedProxies), _router(router),
      _permissions(permissions), _metrics(metrics), _accessLog(accessLog), _swarm(*this, router, _settings.swarmFirstMessageSeconds)
{
}

void HttpPipeline::setAuthenticator(std::shared_ptr<Authenticator> authenticator)
{
    _authenticator = std::move(authenticator);
}

std::string HttpPipeline::newRequestId()
{
    // Request ids correlate log lines; they are not secrets, so a fast PRNG is enough.
    thread_local std::mt19937_64 random{std::random_device{}()};
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(random()));
    return text;
}

void HttpPipeline::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto started = std::chrono::steady_clock::now();
    const std::string requestId = newRequestId();
    response.set("X-Request-Id", requestId);
    response.set("X-Content-Type-Options", "nosniff");
    if (_settings.tls)
        response.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    if (_draining)
        response.setKeepAlive(false);
    request.set("X-Request-Id", requestId);
    if (ConsoleHeaders::covers(request.getURI()))
        ConsoleHeaders::apply(response);

    Outcome outcome;
    try {
        run(request, response, outcome);
    } catch (const std::exception& e) {
        Poco::Logger::get("http").error("request %s %s failed: %s", requestId, request.getURI(), std::string(e.what()));
        if (!response.sent())
            ErrorResponse::send(response, ErrorStyle::Plain, 500, "internal error (request id " + requestId + ")");
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const int status = static_cast<int>(response.getStatus());
    _metrics.observeRequest(outcome.route, request.getMethod(), status, seconds);
    _accessLog.write({requestId, outcome.client, request.getMethod(), request.getURI(), outcome.route, status,
                      seconds, outcome.user});
}

std::string HttpPipeline::allowHeader(const std::set<std::string>& methods)
{
    std::string allow;
    for (const auto& method : methods)
        allow += (allow.empty() ? "" : ", ") + method;
    return allow;
}

void HttpPipeline::answerOptions(const std::set<std::string>& allowed, Poco::Net::HTTPServerResponse& response)
{
    if (!allowed.empty()) {
        std::set<std::string> methods = allowed;
        methods.insert(Poco::Net::HTTPRequest::HTTP_OPTIONS);
        response.set("Allow", allowHeader(methods));
    }
    response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    response.setContentLength(0);
    response.send();
}

void HttpPipeline::acceptBody(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
    if (request.getExpectContinue() && !response.sent())
        response.sendContinue();
}

void HttpPipeline::recordUnreadable(const std::string& client, int status)
{
    _metrics.observeRequest("(unreadable)", "-", status, 0.0);
    _accessLog.write({newRequestId(), client, "-", "(unreadable request head)", "(unreadable)", status, 0.0, ""});
}

void HttpPipeline::run(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                       Outcome& outcome)
{
    const Poco::Net::IPAddress peer = IpRange::normalize(request.clientAddress().host());
    const auto client = _clients.resolve(peer, request);
    outcome.client = client.address.toString();
    if (const auto refusal = FramedRequest::framingProblem(request)) {
        // Framing a proxy may read differently is how requests get smuggled past it.
        response.setKeepAlive(false);
        ErrorResponse::send(response, ErrorStyle::Plain, refusal->status, refusal->message);
        return;
    }

    if (IpRange::anyContains(_settings.deny, client.address) ||
        (!_settings.allow.empty() && !IpRange::anyContains(_settings.allow, client.address))) {
        ErrorResponse::send(response, ErrorStyle::Plain, 403, "access from this address is not allowed");
        return;
    }

    std::string path = request.getURI();
    const auto question = path.find('?');
    if (question != std::string::npos)
        path.resize(question);
    auto resolution = _router.resolve(request.getMethod(), path);
    // A plain route under /API/ (GET /API/docs) stays a plain route; everything else there
    // is SwarmUI's, including the names a case-sensitive router cannot find.
    if (SwarmDispatcher::claims(path) && resolution.outcome != Router::Outcome::BadPath &&
        !(resolution.outcome == Router::Outcome::Found && !resolution.route->spec->swarm)) {
        _swarm.serve(request, response, path, clientInfo(client), outcome);
        return;
    }
    if (request.getMethod() == Poco::Net::HTTPRequest::HTTP_OPTIONS &&
        (resolution.outcome == Router::Outcome::NotFound || resolution.outcome == Router::Outcome::MethodNotAllowed)) {
        answerOptions(resolution.outcome == Router::Outcome::MethodNotAllowed ? resolution.allowed
                                                                                : std::set<std::string>{},
                      response);
        return;
    }
    switch (resolution.outcome) {
    case Router::Outcome::BadPath:
        ErrorResponse::send(response, ErrorStyle::Plain, 400, "the request path is not allowed (dot segments, backslashes or bad encoding)");
        return;
    case Router::Outcome::NotFound:
        ErrorResponse::send(response, ErrorStyle::Plain, 404, "no route for " + path);
        return;
    case Router::Outcome::MethodNotAllowed: {
        const std::string allow = allowHeader(resolution.allowed);
        response.set("Allow", allow);
        ErrorResponse::send(response, ErrorStyle::Plain, 405,
                            request.getMethod() + " is not allowed on " + path + " (allowed: " + allow + ")");
        return;
    }
    case Router::Outcome::Found:
        break;
    }

    const RegisteredRoute& route = *resolution.route;
    const RouteSpec& spec = *route.spec;
    outcome.route = route.pattern.text();

    ClientInfo info = clientInfo(client);
    std::optional<std::string> body;
    if (spec.errorStyle == ErrorStyle::SwarmUI && request.getMethod() == "POST") {
        if (!(request.hasContentLength() && static_cast<std::size_t>(request.getContentLength64()) > spec.bodyLimit)) {
            acceptBody(request, response);
            body = RequestBody::read(request.stream(), spec.bodyLimit);
        }
        if (!body) {
            ErrorResponse::send(response, spec.errorStyle, 413,
                                "request body exceeds the limit of " + std::to_string(spec.bodyLimit) + " bytes");
            return;
        }
        info.body = &*body;
    }
    Identity identity = identify(request, info, outcome);
    Principal& principal = identity.principal;
    const std::optional<HttpError>& authError = identity.error;
    if (authError && authError->status() == 403) {
        ErrorResponse::send(response, spec.errorStyle, 403, authError->what(), authError->code(), authError->extra());
        return;
    }

    if (spec.access != Access::Public) {
        if (!principal.authenticated) {
            if (spec.htmlLoginRedirect && wantsHtml(request)) {
                response.set("Location", loginLocation(request.getURI()));
                response.setStatus(Poco::Net::HTTPResponse::HTTP_FOUND);
                response.setContentLength(0);
                response.send();
                return;
            }
            if (authError) {
                ErrorResponse::send(response, spec.errorStyle, authError->status(), authError->what(),
                                    authError->code(), authError->extra());
                return;
            }
            if (!_authenticator) {
                ErrorResponse::send(response, spec.errorStyle, 401,
                                    "authentication required, but no authentication module is loaded");
                return;
            }
            ErrorResponse::send(response, spec.errorStyle, 401, "authentication required: send a token (Authorization: Bearer ...)");
            return;
        }
        if (spec.access == Access::Permission && !principal.has(spec.permission)) {
            ErrorResponse::send(response, spec.errorStyle, 403, "permission " + spec.permission + " required");
            return;
        }
    }

    if (request.hasContentLength() && static_cast<std::size_t>(request.getContentLength64()) > spec.bodyLimit) {
        ErrorResponse::send(response, spec.errorStyle, 413,
                            "request body exceeds the limit of " + std::to_string(spec.bodyLimit) + " bytes");
        return;
    }

    acceptBody(request, response);
    invoke(route, std::move(resolution.params), request, response, std::move(principal), info, std::move(body));
}

ClientInfo HttpPipeline::clientInfo(const ClientAddressResolver::Client& client) const
{
    ClientInfo info{client.address, _settings.tls || client.forwardedSecure, client.address.isLoopback()};
    info.viaTrustedProxy = client.viaTrustedProxy;
    return info;
}

HttpPipeline::Identity HttpPipeline::identify(Poco::Net::HTTPServerRequest& request, const ClientInfo& client,
                                              Outcome& outcome)
{
    Identity identity;
    if (_authenticator) {
        try {
            if (auto found = _authenticator->authenticate(request, client))
                identity.principal = std::move(*found);
        } catch (const HttpError& e) {
            identity.error = e;
        }
    }
    Principal& principal = identity.principal;
    if (principal.authenticated) {
        principal.permissions = _permissions.effective(principal.username, principal.role, principal.groups);
        outcome.user = principal.username;
    }
    return identity;
}

void HttpPipeline::invoke(const RegisteredRoute& route, std::map<std::string, std::string> params,
                          Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                          Principal principal, const ClientInfo& client, std::optional<std::string> body,
                          std::shared_ptr<Poco::Net::WebSocket> socket)
{
    const RouteSpec& spec = *route.spec;
    try {
        HttpExchange exchange(request, response, spec, std::move(params), std::move(principal), client.address,
                              request.get("X-Request-Id"), client.secure, std::move(body), client.viaTrustedProxy);
        if (socket)
            exchange.attachWebSocket(std::move(socket));
        spec.handler(exchange);
        if (!response.sent())
            throw std::logic_error("handler of " + route.pattern.text() + " sent no response");
    } catch (const HttpError& e) {
        if (!response.sent())
            ErrorResponse::send(response, spec.errorStyle, e.status(), e.what(), e.code(), e.extra());
    } catch (const std::exception& e) {
        if (!DatabaseBusy::is(e))
            throw;
        Poco::Logger::get("http").warning("%s %s: %s", request.getMethod(), request.getURI(), std::string(e.what()));
        if (!response.sent()) {
            response.set("Retry-After", "1");
            ErrorResponse::send(response, spec.errorStyle, 503, DatabaseBusy::message(), "database_busy");
        }
    }
}

} // namespace comfygate
