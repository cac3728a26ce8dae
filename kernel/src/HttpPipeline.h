#pragma once

#include "AccessLog.h"
#include "ClientAddressResolver.h"
#include "IpRange.h"
#include "Router.h"
#include "comfygate/Authenticator.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace comfygate {

class MetricsRegistry;
class PermissionTable;

/// The path every request takes: request id -> client address (trusted proxies only) ->
/// framing (400/501) -> IP rules -> route (400/404/405; OPTIONS 200) -> authenticate ->
/// authorize -> body limit -> handler -> access log + metrics. Handlers never see a request
/// that failed a step before them.
class HttpPipeline
{
public:
    struct Settings
    {
        std::vector<IpRange> trustedProxies;
        std::vector<IpRange> allow; ///< empty: everyone
        std::vector<IpRange> deny;
        bool tls = false;
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

private:
    struct Outcome;
    void run(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, Outcome& outcome);
    /// OPTIONS on a path without its own OPTIONS route: an empty 200, with Allow when the path has routes.
    static void answerOptions(const Router::Resolution& resolution, Poco::Net::HTTPServerResponse& response);
    /// Sends 100 Continue once a client that asked for it may send its body.
    static void acceptBody(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
    static std::string allowHeader(const std::set<std::string>& methods);

    Settings _settings;
    ClientAddressResolver _clients;
    const Router& _router;
    const PermissionTable& _permissions;
    MetricsRegistry& _metrics;
    AccessLog& _accessLog;
    std::shared_ptr<Authenticator> _authenticator;
    std::atomic<bool> _draining{false};
};

} // namespace comfygate
