#include "PolicyHttpGateway.h"

#include "OutboundAddressGuard.h"

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>

namespace comfygate {

namespace {

std::string hostOf(const std::string& url)
{
    const Poco::URI uri(url);
    if (uri.getScheme() != "http" && uri.getScheme() != "https")
        throw PolicyEffectError("policy.http: only http:// and https:// URLs are allowed (got '" + url + "')");
    return uri.getHost();
}

} // namespace

PolicyHttpGateway::PolicyHttpGateway(HttpClient& client, std::vector<std::string> allowHosts,
                                     std::chrono::milliseconds timeout, std::uint64_t maxResponseBytes)
    : _client(client), _allowHosts(std::move(allowHosts)), _timeout(timeout), _maxResponseBytes(maxResponseBytes)
{
}

bool PolicyHttpGateway::allowed(const std::string& host) const
{
    return !host.empty() && std::any_of(_allowHosts.begin(), _allowHosts.end(),
                                        [&](const std::string& entry) { return Poco::icompare(entry, host) == 0; });
}

PolicyEffects::HttpAnswer PolicyHttpGateway::perform(const PolicyEffects::HttpCall& call) const
{
    std::string host;
    try {
        host = hostOf(call.url);
    } catch (const Poco::Exception& e) {
        throw PolicyEffectError("policy.http: invalid url '" + call.url + "': " + e.displayText());
    }
    if (!allowed(host))
        throw PolicyEffectError("policy.http: host '" + host +
                                "' is not allowed; add it to policy.http.allow_hosts");

    HttpClientRequest request;
    request.method = call.method;
    request.url = call.url;
    for (const auto& header : call.headers)
        request.headers.push_back(header);
    request.body = call.body;
    request.connectTimeout = _timeout;
    request.totalTimeout = _timeout;
    request.maxBytes = _maxResponseBytes;
    request.maxRedirects = 5;
    request.allowRedirect = [this](const std::string& url) {
        try {
            return allowed(hostOf(url));
        } catch (const std::exception&) {
            return false;
        }
    };
    // Every allowed host may be reached, loopback only when a loopback host is allowed.
    const bool loopbackAllowed = std::any_of(_allowHosts.begin(), _allowHosts.end(), isLoopbackHost);
    request.allowAddress = outboundAddressGuard(loopbackAllowed ? "localhost" : host);

    const HttpClientResponse response = _client.perform(request);
    PolicyEffects::HttpAnswer answer;
    answer.status = static_cast<int>(response.status);
    answer.contentType = response.header("content-type").value_or("");
    answer.body = response.body;
    return answer;
}

} // namespace comfygate
