#pragma once

#include "RequestOutcome.h"
#include "comfygate/Authenticator.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <string>

namespace comfygate {

class HttpPipeline;
class Router;
struct RegisteredRoute;
class HttpError;

/// SwarmUI's dispatcher for `/API/<Name>` (reference swarmui-basic-api.md §1.1-1.4), in the
/// order SwarmUI checks: names case-insensitive (unknown: 400 bad_route); a POST with a JSON
/// object body of known length (else 400 basic_api; oversized 413) or a WebSocket upgrade on a
/// `...WS` route (the other pairing: 400 bad_request_method); any other method is redirected to
/// /Error/NoGetAPI. Then the session: the credential may sit in the body (`session_id`), so
/// authentication runs after the body is read; none at all on a route that needs a session is
/// 400 basic_api, a missing permission 400 bad_permissions. On a WebSocket every refusal after
/// the upgrade is a JSON message and a close, never an HTTP status.
class SwarmDispatcher
{
public:
    /// `firstMessageSeconds`: how long an opened WebSocket may take to send its call (SwarmUI:
    /// one minute); the socket holds an HTTP worker meanwhile.
    SwarmDispatcher(HttpPipeline& pipeline, const Router& router, int firstMessageSeconds)
        : _pipeline(pipeline), _router(router), _firstMessageSeconds(firstMessageSeconds)
    {
    }

    static constexpr const char* prefix = "/API/";
    /// Where other methods than POST are sent (a browser that opened an API link).
    static constexpr const char* noGetPage = "/Error/NoGetAPI";
    /// True for paths SwarmUI's dispatcher owns: everything under /API/ (case-sensitive, as
    /// ComfyUI's /api/ is another family).
    static bool claims(const std::string& path) { return path.rfind(prefix, 0) == 0; }

    void serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, const std::string& path,
               ClientInfo client, RequestOutcome& outcome);

private:
    void serveHttp(const RegisteredRoute& route, Poco::Net::HTTPServerRequest& request,
                   Poco::Net::HTTPServerResponse& response, ClientInfo client, RequestOutcome& outcome);
    void serveWebSocket(const RegisteredRoute* route, Poco::Net::HTTPServerRequest& request,
                        Poco::Net::HTTPServerResponse& response, ClientInfo client, RequestOutcome& outcome);

    HttpPipeline& _pipeline;
    const Router& _router;
    int _firstMessageSeconds;
};

} // namespace comfygate
