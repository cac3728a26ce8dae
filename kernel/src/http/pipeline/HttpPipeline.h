#pragma once

#include "AccessLog.h"
#include "ClientAddressResolver.h"
#include "IpRange.h"
#include "RequestOutcome.h"
#include "Router.h"
#include "SwarmDispatcher.h"
#include "comfygate/Authenticator.h"
#include "comfygate/HttpError.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace Poco::Net {
class WebSocket;
}

namespace comfygate {

class MetricsRegistry;
class PermissionTable;

/// The path every request takes: request id -> client address (trusted proxies only) ->
/// framing (400/501) -> IP rules -> route (400/404/405; OPTIONS 200) -> authenticate ->
/// authorize -> body limit -> handler -> access log + metrics. Handlers never see a request
/// that failed a step before them. Paths under `/API/` that are not a plain route go to
/// SwarmUI's dispatcher (SwarmDispatcher), which orders the same steps its own way.
class HttpPipeline
{
public:
    using Outcome = RequestOutcome;

    /// Who sent a request: the principal (anonymous when there is no credential) and the
    /// authenticator's refusal of a credential that was present but not valid.
    struct Identity
    {
        Principal principal;
        std::optional<HttpError> error;
    };

    struct Settings
    {
        std::vector<IpRange> trustedProxies;
        std::vector<IpRange> allow; ///< empty: everyone
        std::vector<IpRange> deny;
        bool tls = false;
        int swarmFirstMessageSeconds = 60; ///< http.swarm_ws_first_message_seconds
    };

    HttpPipeline(Settings settings, const Router& router, const PermissionTable& permissions,
                 MetricsRegistry& metrics, AccessLog& accessLog);

    void setAuthenticator(std::shared_ptr<Authenticator> authenticator);
    /// While draining, every response closes its connection.
    void setDraining(bool draining) { _draining = draining; }
    bool draining() const { return _draining; }

    void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
    /// Records the refusal of a request whose head could not be read (it never reached handle()).
    void recordUnreadable(const std::string& client, int status);

    static std::string newRequestId();

    /// Runs the authenticator (ClientInfo::body carries a body it may read the credential
    /// from) and resolves the principal's permissions.
    Identity identify(Poco::Net::HTTPServerRequest& request, const ClientInfo& client, Outcome& outcome);
    /// Runs the route's handler; an HttpError it throws is answered in the route's error style.
    /// `socket`: an upgraded SwarmUI WebSocket (HttpExchange::webSocket()).
    void invoke(const RegisteredRoute& route, std::map<std::string, std::string> params,
                Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, Principal principal,
                const ClientInfo& client, std::optional<std::string> body,
                std::shared_ptr<Poco::Net::WebSocket> socket = nullptr);
    /// Sends 100 Continue once a client that asked for it may send its body.
    static void acceptBody(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
    /// OPTIONS on a path without its own OPTIONS route: an empty 200, with Allow when the path has routes.
    static void answerOptions(const std::set<std::string>& allowed, Poco::Net::HTTPServerResponse& response);

private:
    void run(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, Outcome& outcome);
    ClientInfo clientInfo(const ClientAddressResolver::Client& client) const;
    static std::string allowHeader(const std::set<std::string>& methods);

    Settings _settings;
    ClientAddressResolver _clients;
    const Router& _router;
    const PermissionTable& _permissions;
    MetricsRegistry& _metrics;
    AccessLog& _accessLog;
    std::shared_ptr<Authenticator> _authenticator;
    SwarmDispatcher _swarm;
    std::atomic<bool> _draining{false};
};

} // namespace comfygate
