#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace comfygate {

/// An outgoing HTTP request made with libcurl.
struct HttpClientRequest
{
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    /// Sent as `Authorization` to the first host only (and to hosts in credentialHosts);
    /// never forwarded to a different host on a redirect.
    std::string authorization;
    std::vector<std::string> credentialHosts;

    std::chrono::milliseconds connectTimeout{10000};
    std::chrono::milliseconds totalTimeout{0};    ///< 0 = none (long downloads)
    std::chrono::seconds stallTime{60};           ///< abort when slower than stallBytesPerSecond this long
    long stallBytesPerSecond = 1;

    bool followRedirects = true;                  ///< followed hop by hop, each hop checked
    int maxRedirects = 10;
    /// Called for every redirect target before it is followed; return false to refuse it.
    std::function<bool(const std::string& url)> allowRedirect;

    std::uint64_t maxBytes = 64ull * 1024 * 1024; ///< body cap; exceeding it is an error
    std::optional<std::uint64_t> rangeFrom;       ///< sends `Range: bytes=N-`
    std::string ifRange;                          ///< sends `If-Range` with rangeFrom

    int maxAttempts = 1;                          ///< > 1 retries network errors, 408, 429, 5xx
    std::chrono::milliseconds retryBaseDelay{1000};
    std::chrono::milliseconds retryMaxDelay{60000};

    std::string userAgent = "comfygate/1";

    /// stream() only: called with the final hop's status and headers (names lower-cased)
    /// before the first byte of its body reaches the sink, once per attempt, also for error
    /// statuses and bodiless answers; not for redirects that are followed nor for statuses
    /// about to be retried. Return false to abort (HttpClientError "aborted by receiver",
    /// not retried). Lets a caller refuse an HTML page or a wrong Content-Range before
    /// writing anything, and learn the ETag of a body that is later cut off.
    std::function<bool(long status, const std::vector<std::pair<std::string, std::string>>& headers)>
        onResponseHeaders;
};

struct HttpClientResponse
{
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers; ///< of the final hop, names lower-cased
    std::string body;            ///< empty when a sink consumed it
    std::string finalUrl;
    std::uint64_t bytesReceived = 0;
    int attempts = 0;

    /// First header value by (case-insensitive) name.
    std::optional<std::string> header(const std::string& name) const;
};

/// Thrown for transport failures (DNS, connect, TLS, timeout, stall, size cap, refused
/// redirect). HTTP error statuses are not errors: they come back in HttpClientResponse.
class HttpClientError : public std::runtime_error
{
public:
    explicit HttpClientError(const std::string& message, bool retryable = false)
        : std::runtime_error(message), _retryable(retryable)
    {
    }
    bool retryable() const { return _retryable; }

private:
    bool _retryable;
};

class HttpClient
{
public:
    /// Receives body bytes of the final hop; return false to abort the transfer.
    /// `status` is the final hop's status, known before the first byte.
    using Sink = std::function<bool(long status, const char* data, std::size_t size)>;

    virtual ~HttpClient() = default;

    /// Performs the request, buffering the body into the response.
    virtual HttpClientResponse perform(const HttpClientRequest& request) = 0;

    /// Performs the request, streaming the final hop's body into `sink`.
    virtual HttpClientResponse stream(const HttpClientRequest& request, const Sink& sink) = 0;
};

} // namespace comfygate
