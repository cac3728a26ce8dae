#pragma once

#include "comfygate/Principal.h"
#include "comfygate/Route.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace Poco::Net {
class WebSocket;
}

namespace comfygate {

/// One request and its response as a handler sees it: path parameters, query, the
/// authenticated principal, the real client address and helpers to answer in JSON.
class HttpExchange
{
public:
    HttpExchange(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                 const RouteSpec& route, std::map<std::string, std::string> params,
                 Principal principal, Poco::Net::IPAddress client, std::string requestId,
                 bool secure, std::optional<std::string> body = std::nullopt, bool viaTrustedProxy = false);

    Poco::Net::HTTPServerRequest& request() { return _request; }
    Poco::Net::HTTPServerResponse& response() { return _response; }
    const RouteSpec& route() const { return _route; }

    /// A `{name}` path parameter, percent-decoded (a `%2F` stays inside the value).
    const std::string& param(const std::string& name) const;

    /// The first value of a query parameter, if present.
    std::optional<std::string> query(const std::string& name) const;
    const std::multimap<std::string, std::string>& queryParameters() const { return _query; }

    const Principal& principal() const { return _principal; }
    const Poco::Net::IPAddress& client() const { return _client; }
    const std::string& requestId() const { return _requestId; }
    /// True when the request came over TLS (or from a trusted proxy that said so).
    bool secure() const { return _secure; }
    /// True when the socket peer is a configured trusted proxy (client() came from its headers).
    bool viaTrustedProxy() const { return _viaTrustedProxy; }

    /// The whole body, at most the route's body limit (413 HttpError beyond it).
    const std::string& body();
    /// The body parsed as a JSON object; 400 HttpError when it is not one.
    Poco::JSON::Object::Ptr jsonBody();
    /// The body as form fields (application/x-www-form-urlencoded) or JSON object members.
    std::map<std::string, std::string> fields();

    void sendJson(int status, const Poco::Dynamic::Var& value);
    void sendText(int status, const std::string& contentType, const std::string& body);
    void redirect(const std::string& location, int status = 302);
    /// Answers in the route's error style (see ErrorStyle).
    void sendError(int status, const std::string& message, const std::string& code = {},
                   const std::string& extraJson = {});

    bool responded() const { return _response.sent(); }

    /// On a SwarmUI WebSocket route (swarm::RouteInfo::webSocket): the socket the kernel
    /// upgraded and read the call's JSON message from (that message is body()); nullptr on
    /// every other route.
    Poco::Net::WebSocket* webSocket() const { return _webSocket.get(); }
    /// Set by the kernel's SwarmUI dispatcher before the handler runs.
    void attachWebSocket(std::shared_ptr<Poco::Net::WebSocket> socket) { _webSocket = std::move(socket); }

private:
    Poco::Net::HTTPServerRequest& _request;
    Poco::Net::HTTPServerResponse& _response;
    const RouteSpec& _route;
    std::map<std::string, std::string> _params;
    std::multimap<std::string, std::string> _query;
    Principal _principal;
    Poco::Net::IPAddress _client;
    std::string _requestId;
    bool _secure;
    bool _viaTrustedProxy;
    std::optional<std::string> _body;
    std::shared_ptr<Poco::Net::WebSocket> _webSocket;
};

} // namespace comfygate
