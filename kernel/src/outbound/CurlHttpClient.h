#pragma once

#include "CurlHandlePool.h"
#include "comfygate/HttpClient.h"

#include <Poco/Logger.h>

#include <string>

namespace comfygate {

/// The kernel's HttpClient over libcurl. Safe to call from many threads at once.
///
/// Redirects are followed hop by hop (libcurl's own following is off): every Location is
/// resolved against the current URL, must be http(s), is offered to
/// HttpClientRequest::allowRedirect, and counts against maxRedirects. `authorization` and
/// secret-bearing custom headers (Authorization, Proxy-Authorization, Cookie, X-API-Key,
/// X-Auth-Token, Api-Key) are sent only while the hop has the original scheme, host and
/// port, or its host is in credentialHosts ("host" or "host:port", never over a
/// https-to-http downgrade). 301/302 turn a POST into a bodiless GET, 303 turns anything but
/// HEAD into one; 307/308 keep method and body.
///
/// Retries (maxAttempts > 1) repeat the whole chain from the original URL after network
/// errors (refused, reset, timeout, stall, DNS) and after 408/429/500/502/503/504, waiting
/// per HttpClientRetry (Retry-After honoured, else the `t=` reset of a `RateLimit` header,
/// capped at retryMaxDelay). A retryable status
/// still present after the last attempt is returned, not thrown. stream() retries only
/// while no body byte has reached the sink: once it has, a network failure is thrown as a
/// retryable HttpClientError and the caller resumes with rangeFrom (and ifRange).
///
/// Logs each hop at debug level with credentials and signed query values redacted.
class CurlHttpClient : public HttpClient
{
public:
    explicit CurlHttpClient(Poco::Logger& logger = Poco::Logger::get("comfygate.http"));

    HttpClientResponse perform(const HttpClientRequest& request) override;
    HttpClientResponse stream(const HttpClientRequest& request, const Sink& sink) override;

    /// `url` fit for a log line: user info dropped and the values of query parameters whose
    /// names suggest a secret (token, access_token, key, signature, credential, ...) masked.
    static std::string redactUrl(const std::string& url);

private:
    HttpClientResponse run(const HttpClientRequest& request, const Sink* sink);

    Poco::Logger& _logger;
    CurlHandlePool _handles;
};

} // namespace comfygate
