#include "SwarmDispatcher.h"

#include "ErrorResponse.h"
#include "HttpPipeline.h"
#include "RequestBody.h"
#include "Router.h"
#include "SwarmSocket.h"
#include "comfygate/HttpError.h"
#include "comfygate/SwarmApi.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/MediaType.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/String.h>

#include <cstring>

namespace comfygate {
namespace {

HttpError basicApi(const std::string& message)
{
    return HttpError(400, message, "basic_api");
}

bool isJsonContentType(const std::string& contentType)
{
    try {
        const Poco::Net::MediaType type(contentType);
        return type.matches("application", "json");
    } catch (const Poco::Exception&) {
        return false;
    }
}

/// The body as a JSON object, or nullptr when it is anything else (null, an array, garbage).
Poco::JSON::Object::Ptr jsonObject(const std::string& text)
{
    try {
        const Poco::Dynamic::Var parsed = Poco::JSON::Parser().parse(text);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr))
            return parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
    }
    return nullptr;
}

/// The dispatcher's own refusal of an identified caller, if any: a refused credential, no
/// session on a route that needs one, or a missing permission.
std::optional<HttpError> admissionRefusal(const swarm::RouteInfo& info, const HttpPipeline::Identity& identity)
{
    const Principal& principal = identity.principal;
    if (identity.error && identity.error->status() == 403)
        return identity.error;
    if (!info.sessionless && !principal.authenticated) {
        if (identity.error)
            return identity.error; // e.g. 401 invalid_session_id
        return basicApi("This route needs a session_id (from GetNewSession) in the body or X-Session-ID.");
    }
    if (!info.permission.empty() && !(principal.authenticated && principal.has(info.permission)))
        return HttpError(400, "You lack permissions for this route.", "bad_permissions");
    return std::nullopt;
}

void refuse(Poco::Net::HTTPServerResponse& response, const HttpError& error)
{
    ErrorResponse::send(response, ErrorStyle::SwarmUI, error.status(), error.what(), error.code(), error.extra());
}

/// Refuses a request whose body stays unread: the connection closes after the answer, as
/// the next request's head would otherwise be looked for inside that body.
void refuseUnread(Poco::Net::HTTPServerResponse& response, const HttpError& error)
{
    response.setKeepAlive(false);
    refuse(response, error);
}

HttpError tooLarge(std::size_t limit)
{
    return HttpError(413, "request body exceeds the limit of " + std::to_string(limit) + " bytes");
}

} // namespace

void SwarmDispatcher::serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                            const std::string& path, ClientInfo client, RequestOutcome& outcome)
{
    const RegisteredRoute* route = _router.swarmRoute(path.substr(std::strlen(prefix)));
    const std::string& method = request.getMethod();
    if (method == Poco::Net::HTTPRequest::HTTP_OPTIONS) {
        // CORS preflights and capability probes: the API is POST (or a WebSocket's GET).
        HttpPipeline::answerOptions({route && route->spec->swarm->webSocket ? "GET" : "POST"}, response);
        return;
    }
    const bool upgrade = Poco::icompare(request.get("Upgrade", ""), std::string("websocket")) == 0;
    if (method == Poco::Net::HTTPRequest::HTTP_GET && upgrade) {
        serveWebSocket(route, request, response, std::move(client), outcome);
        return;
    }
    if (method != Poco::Net::HTTPRequest::HTTP_POST) {
        // SwarmUI sends a browser that opened an API link to a page that explains the API.
        response.set("Location", noGetPage);
        response.setStatus(Poco::Net::HTTPResponse::HTTP_FOUND);
        response.setContentLength(0);
        response.send();
        return;
    }
    if (!route) {
        refuse(response, HttpError(400, "Unknown API route", "bad_route"));
        return;
    }
    outcome.route = route->pattern.text();
    if (route->spec->swarm->webSocket) {
        refuse(response,
               HttpError(400,
                         "This is a WebSocket route: open it as a WebSocket and send the call as one JSON message.",
                         "bad_request_method"));
        return;
    }
    serveHttp(*route, request, response, std::move(client), outcome);
}

void SwarmDispatcher::serveHttp(const RegisteredRoute& route, Poco::Net::HTTPServerRequest& request,
                                Poco::Net::HTTPServerResponse& response, ClientInfo client, RequestOutcome& outcome)
{
    const RouteSpec& spec = *route.spec;
    // SwarmUI needs the length up front; clients that send JSON bodies (requests, fetch,
    // curl) all send one. A chunked body is refused unread, so the connection closes.
    if (request.getChunkedTransferEncoding()) {
        refuseUnread(response, basicApi("Send the JSON body with a Content-Length (chunked bodies are not accepted)."));
        return;
    }
    if (!request.hasContentLength() || request.getContentLength64() <= 0) {
        refuse(response, basicApi("A JSON object body with a Content-Length is required."));
        return;
    }
    if (static_cast<std::uint64_t>(request.getContentLength64()) > spec.bodyLimit) {
        refuseUnread(response, tooLarge(spec.bodyLimit));
        return;
    }
    HttpPipeline::acceptBody(request, response);
    std::optional<std::string> body = RequestBody::read(request.stream(), spec.bodyLimit);
    if (!body) {
        refuseUnread(response, tooLarge(spec.bodyLimit));
        return;
    }
    // The body is read from here on, so a refusal keeps the connection.
    if (!isJsonContentType(request.getContentType())) {
        refuse(response, basicApi("Content-Type must be application/json."));
        return;
    }
    if (!jsonObject(*body)) {
        refuse(response, basicApi("The body must be a JSON object."));
        return;
    }
    client.body = &*body;
    HttpPipeline::Identity identity = _pipeline.identify(request, client, outcome);
    if (const auto refusal = admissionRefusal(*spec.swarm, identity)) {
        refuse(response, *refusal);
        return;
    }
    _pipeline.invoke(route, {}, request, response, std::move(identity.principal), client, std::move(body));
}

void SwarmDispatcher::serveWebSocket(const RegisteredRoute* route, Poco::Net::HTTPServerRequest& request,
                                     Poco::Net::HTTPServerResponse& response, ClientInfo client,
                                     RequestOutcome& outcome)
{
    if (route && !route->spec->swarm->webSocket) {
        refuse(response, HttpError(400, "This is an HTTP route: POST the call as a JSON body.", "bad_request_method"));
        return;
    }
    if (route)
        outcome.route = route->pattern.text();
    std::shared_ptr<Poco::Net::WebSocket> socket;
    try {
        socket = std::make_shared<Poco::Net::WebSocket>(request, response);
    } catch (const Poco::Exception& e) {
        if (!response.sent())
            refuse(response, HttpError(400, "WebSocket handshake failed: " + e.message(), "bad_request"));
        return;
    }
    swarm::SwarmSocket channel(*socket);
    if (!route) {
        channel.fail("Unknown API route", "bad_route");
        return;
    }
    const std::size_t limit = route->spec->bodyLimit;
    std::optional<std::string> message;
    try {
        message = channel.receiveCall(limit, Poco::Timespan(_firstMessageSeconds, 0));
    } catch (const Poco::TimeoutException&) {
        channel.fail("No request message within " + std::to_string(_firstMessageSeconds) + " seconds.", "basic_api");
        return;
    } catch (const Poco::Net::WebSocketException& e) {
        if (e.code() == Poco::Net::WebSocket::WS_ERR_PAYLOAD_TOO_BIG)
            channel.fail(tooLarge(limit).what(), "payload_too_large");
        else
            channel.close();
        return;
    } catch (const Poco::Exception&) {
        return; // the connection broke: nobody to answer
    }
    if (!message) {
        channel.close();
        return;
    }
    if (!jsonObject(*message)) {
        channel.fail("The request message must be a JSON object.", "basic_api");
        return;
    }
    // A socket's call is authenticated by its message (session_id), as in SwarmUI, never by a
    // cookie: browsers send cookies on cross-site WebSocket upgrades.
    request.erase("Cookie");
    client.body = &*message;
    HttpPipeline::Identity identity = _pipeline.identify(request, client, outcome);
    if (const auto refusal = admissionRefusal(*route->spec->swarm, identity)) {
        channel.fail(refusal->what(),
                     refusal->code().empty() ? ErrorResponse::defaultCode(refusal->status()) : refusal->code());
        return;
    }
    _pipeline.invoke(*route, {}, request, response, std::move(identity.principal), client, std::move(message),
                     std::move(socket));
}

} // namespace comfygate
