#include "CurlHttpClient.h"

#include "HttpClientRetry.h"

#include <Poco/String.h>

#include <curl/curl.h>

#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>

namespace comfygate {

namespace {

using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

struct ParsedUrl
{
    std::string url;
    std::string scheme;
    std::string host;
    std::string port;

    bool sameOrigin(const ParsedUrl& other) const
    {
        return scheme == other.scheme && host == other.host && port == other.port;
    }
};

std::string normaliseHost(std::string host)
{
    host = Poco::toLower(host);
    if (!host.empty() && host.back() == '.')
        host.pop_back();
    return host;
}

std::string urlPart(CURLU* handle, CURLUPart part, unsigned flags = 0)
{
    char* value = nullptr;
    if (curl_url_get(handle, part, &value, flags) != CURLUE_OK || !value)
        return {};
    std::string result(value);
    curl_free(value);
    return result;
}

using UrlHandle = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

UrlHandle newUrlHandle()
{
    UrlHandle handle(curl_url(), &curl_url_cleanup);
    if (!handle)
        throw std::bad_alloc();
    return handle;
}

// libcurl's own parser resolves references: it is the one that decides where the request
// goes, and unlike Poco::URI 1.11 it handles "//host/path" references and keeps %2F intact.
std::optional<ParsedUrl> parseUrl(const std::string& reference, const std::string* base = nullptr)
{
    UrlHandle handle = newUrlHandle();
    if (base && curl_url_set(handle.get(), CURLUPART_URL, base->c_str(), 0) != CURLUE_OK)
        return std::nullopt;
    if (curl_url_set(handle.get(), CURLUPART_URL, reference.c_str(), 0) != CURLUE_OK)
        return std::nullopt;
    ParsedUrl parsed;
    parsed.url = urlPart(handle.get(), CURLUPART_URL);
    parsed.scheme = Poco::toLower(urlPart(handle.get(), CURLUPART_SCHEME));
    parsed.host = normaliseHost(urlPart(handle.get(), CURLUPART_HOST));
    parsed.port = urlPart(handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
    if (parsed.url.empty() || parsed.host.empty())
        return std::nullopt;
    return parsed;
}

bool isHttpScheme(const std::string& scheme) { return scheme == "http" || scheme == "https"; }

bool isRedirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool isSecretHeader(const std::string& name)
{
    static const char* const secretHeaders[] = {"authorization", "proxy-authorization", "cookie",
                                                "x-api-key",     "x-auth-token",        "api-key"};
    return std::any_of(std::begin(secretHeaders), std::end(secretHeaders),
                       [&](const char* secret) { return Poco::icompare(name, secret) == 0; });
}

bool isBodyHeader(const std::string& name)
{
    return Poco::icompare(name, "content-type") == 0 ||
           Poco::icompare(name, "content-length") == 0 ||
           Poco::icompare(name, "content-encoding") == 0;
}

bool isSecretQueryName(const std::string& name)
{
    static const char* const fragments[] = {"token", "key",        "sig",  "secret",
                                            "pass",  "credential", "auth", "session"};
    const std::string lower = Poco::toLower(name);
    return std::any_of(std::begin(fragments), std::end(fragments), [&](const char* fragment) {
        return lower.find(fragment) != std::string::npos;
    });
}

bool isCredentialHost(const ParsedUrl& hop, const ParsedUrl& origin,
                      const std::vector<std::string>& credentialHosts)
{
    if (origin.scheme == "https" && hop.scheme != "https")
        return false;
    const std::string hostAndPort = hop.host + ":" + hop.port;
    for (const auto& entry : credentialHosts) {
        const std::string normalised = normaliseHost(Poco::trim(entry));
        if (normalised == hop.host || normalised == hostAndPort)
            return true;
    }
    return false;
}

bool isRetryableTransferError(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_HTTP2:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

bool hasLineBreak(const std::string& text)
{
    return text.find_first_of("\r\n") != std::string::npos;
}

std::optional<std::uint64_t> parseContentLength(const Headers& headers)
{
    for (const auto& [name, value] : headers) {
        if (name != "content-length")
            continue;
        std::uint64_t length = 0;
        const auto [end, error] =
            std::from_chars(value.data(), value.data() + value.size(), length);
        if (error == std::errc::result_out_of_range)
            return std::numeric_limits<std::uint64_t>::max();
        if (error == std::errc() && end == value.data() + value.size())
            return length;
        return std::nullopt;
    }
    return std::nullopt;
}

std::optional<std::string> findHeader(const Headers& headers, const std::string& lowerName)
{
    for (const auto& [name, value] : headers) {
        if (name == lowerName)
            return value;
    }
    return std::nullopt;
}

// When the server wants the next attempt: `Retry-After`, else the reset of an IETF
// `RateLimit` header (`"resolvers";r=0;t=55`, what Hugging Face sends on 429), as seconds.
std::optional<std::string> retryAfterOf(const Headers& headers)
{
    if (auto retryAfter = findHeader(headers, "retry-after"))
        return retryAfter;
    const auto rateLimit = findHeader(headers, "ratelimit");
    if (!rateLimit)
        return std::nullopt;
    std::string_view rest(*rateLimit);
    while (!rest.empty()) {
        const auto end = rest.find_first_of(";,");
        std::string_view parameter = rest.substr(0, end);
        while (!parameter.empty() && parameter.front() == ' ')
            parameter.remove_prefix(1);
        if (parameter.substr(0, 2) == "t=" && parameter.size() > 2 &&
            parameter.find_first_not_of("0123456789", 2) == std::string_view::npos)
            return std::string(parameter.substr(2));
        if (end == std::string_view::npos)
            break;
        rest.remove_prefix(end + 1);
    }
    return std::nullopt;
}

HttpClientError tooLarge(std::uint64_t maxBytes)
{
    return HttpClientError("response body exceeds the limit of " + std::to_string(maxBytes) +
                           " bytes");
}

/// What one attempt (a whole redirect chain) has done that decides whether it may be retried.
struct AttemptState
{
    bool delivered = false;
};

/// One request/response exchange: the state libcurl's callbacks work on.
struct Hop
{
    enum class Abort
    {
        None,
        TooLarge,
        ByReceiver,
        Failed
    };

    CURL* curl = nullptr;
    const HttpClientRequest* request = nullptr;
    const HttpClient::Sink* sink = nullptr;
    AttemptState* attempt = nullptr;
    bool headOnly = false;
    bool mayRedirect = false;
    bool mayRetryStatus = false;

    long status = 0;
    Headers headers;
    bool headersComplete = false;
    bool discardBody = false;
    std::string body;
    std::uint64_t bytes = 0;
    Abort abort = Abort::None;
    std::exception_ptr failure;
    bool addressRefused = false; ///< allowAddress said no to an address libcurl wanted to connect to

    bool endHeaders()
    {
        long code = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        if (code < 200 && code != 0)
            return true; // an interim 1xx response: the real one follows
        status = code;
        headersComplete = true;
        const bool redirectFollowed =
            mayRedirect && isRedirect(status) && findHeader(headers, "location").has_value();
        discardBody =
            redirectFollowed || (mayRetryStatus && HttpClientRetry::retryableStatus(status));
        if (sink && !discardBody && request->onResponseHeaders &&
            !request->onResponseHeaders(status, headers)) {
            abort = Abort::ByReceiver;
            return false;
        }
        if (!headOnly) {
            const auto length = parseContentLength(headers);
            if (length && *length > request->maxBytes) {
                abort = Abort::TooLarge;
                return false;
            }
        }
        return true;
    }

    bool headerLine(std::string_view line)
    {
        if (line.substr(0, 5) == "HTTP/") {
            headers.clear();
            headersComplete = false;
            return true;
        }
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.remove_suffix(1);
        if (line.empty())
            return headersComplete || endHeaders();
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            return true;
        headers.emplace_back(Poco::toLower(Poco::trim(std::string(line.substr(0, colon)))),
                             Poco::trim(std::string(line.substr(colon + 1))));
        return true;
    }

    bool bodyData(const char* data, std::size_t size)
    {
        bytes += size;
        if (bytes > request->maxBytes) {
            abort = Abort::TooLarge;
            return false;
        }
        if (discardBody)
            return true;
        if (!sink) {
            body.append(data, size);
            return true;
        }
        attempt->delivered = true;
        if (!(*sink)(status, data, size)) {
            abort = Abort::ByReceiver;
            return false;
        }
        return true;
    }

    static std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* user)
    {
        auto& hop = *static_cast<Hop*>(user);
        try {
            return hop.headerLine(std::string_view(data, size * count)) ? size * count : 0;
        } catch (...) {
            hop.failure = std::current_exception();
            hop.abort = Abort::Failed;
            return 0;
        }
    }

    static curl_socket_t onOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address)
    {
        auto& hop = *static_cast<Hop*>(user);
        try {
            if (purpose == CURLSOCKTYPE_IPCXN && !hop.request->allowAddress(address->addr)) {
                hop.addressRefused = true; // libcurl may still succeed with another address
                return CURL_SOCKET_BAD;
            }
        } catch (...) {
            hop.failure = std::current_exception();
            hop.abort = Abort::Failed;
            return CURL_SOCKET_BAD;
        }
        return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    }

    static std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user)
    {
        auto& hop = *static_cast<Hop*>(user);
        // No exception may unwind through libcurl's C frames: keep it and rethrow after.
        try {
            return hop.bodyData(data, size * count) ? size * count : 0;
        } catch (...) {
            hop.failure = std::current_exception();
            hop.abort = Abort::Failed;
            return 0;
        }
    }
};

using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

void appendHeader(HeaderList& list, const std::string& name, const std::string& value)
{
    if (hasLineBreak(name) || hasLineBreak(value) || name.find(':') != std::string::npos)
        throw HttpClientError("invalid request header " + name);
    // "Name;" is libcurl's spelling of a header with an empty value; "Name:" would delete it.
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    curl_slist* extended = curl_slist_append(list.get(), line.c_str());
    if (!extended)
        throw std::bad_alloc();
    list.release();
    list.reset(extended);
}

struct HopPlan
{
    ParsedUrl url;
    std::string method;
    bool sendBody = false;
    bool credentials = false;
    bool bodyDropped = false;
    std::optional<Clock::time_point> deadline;
};

void setOption(CURLcode result)
{
    if (result != CURLE_OK)
        throw HttpClientError(std::string("libcurl option refused: ") + curl_easy_strerror(result));
}

HeaderList requestHeaders(const HttpClientRequest& request, const HopPlan& plan)
{
    HeaderList list(nullptr, &curl_slist_free_all);
    for (const auto& [name, value] : request.headers) {
        if (isSecretHeader(name) && !plan.credentials)
            continue;
        if (Poco::icompare(name, "authorization") == 0 && !request.authorization.empty())
            continue;
        if (plan.bodyDropped && isBodyHeader(name))
            continue;
        appendHeader(list, name, value);
    }
    if (plan.credentials && !request.authorization.empty())
        appendHeader(list, "Authorization", request.authorization);
    if (request.rangeFrom) {
        appendHeader(list, "Range", "bytes=" + std::to_string(*request.rangeFrom) + "-");
        if (!request.ifRange.empty())
            appendHeader(list, "If-Range", request.ifRange);
    }
    // Without this, libcurl waits up to a second for "100 Continue" before larger bodies.
    curl_slist* extended = curl_slist_append(list.get(), "Expect:");
    if (!extended)
        throw std::bad_alloc();
    list.release();
    list.reset(extended);
    return list;
}

void configure(CURL* curl, const HttpClientRequest& request, const HopPlan& plan, Hop& hop,
               const HeaderList& headers, char* errorBuffer)
{
    setOption(curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorBuffer));
    setOption(curl_easy_setopt(curl, CURLOPT_URL, plan.url.url.c_str()));
    setOption(curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L));
#if LIBCURL_VERSION_NUM >= 0x075500
    setOption(curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https"));
#else
    setOption(curl_easy_setopt(curl, CURLOPT_PROTOCOLS, long(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
#endif
    setOption(curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L));
    setOption(curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L));
    if (!request.userAgent.empty())
        setOption(curl_easy_setopt(curl, CURLOPT_USERAGENT, request.userAgent.c_str()));

    setOption(curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                               long(std::max<long long>(1, request.connectTimeout.count()))));
    if (plan.deadline) {
        const auto remaining =
            std::chrono::duration_cast<std::chrono::milliseconds>(*plan.deadline - Clock::now());
        setOption(curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                                   long(std::max<long long>(1, remaining.count()))));
    }
    if (request.stallTime.count() > 0 && request.stallBytesPerSecond > 0) {
        setOption(curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, request.stallBytesPerSecond));
        setOption(curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, long(request.stallTime.count())));
    }

    if (plan.method == "HEAD") {
        setOption(curl_easy_setopt(curl, CURLOPT_NOBODY, 1L));
    } else if (plan.sendBody || plan.method == "POST") {
        static const char noBody[] = "";
        setOption(curl_easy_setopt(curl, CURLOPT_POST, 1L));
        setOption(curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                                   curl_off_t(plan.sendBody ? request.body.size() : 0)));
        setOption(curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
                                   plan.sendBody ? request.body.data() : noBody));
        if (plan.method != "POST")
            setOption(curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, plan.method.c_str()));
    } else if (plan.method == "GET") {
        setOption(curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L));
    } else {
        setOption(curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, plan.method.c_str()));
    }
    if (plan.method != "HEAD" &&
        request.maxBytes < std::uint64_t(std::numeric_limits<curl_off_t>::max()))
        setOption(curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(request.maxBytes)));

    if (request.allowAddress) {
        setOption(curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, &Hop::onOpenSocket));
        setOption(curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &hop));
        setOption(curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L));
    }
    setOption(curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get()));
    setOption(curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Hop::onHeader));
    setOption(curl_easy_setopt(curl, CURLOPT_HEADERDATA, &hop));
    setOption(curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Hop::onBody));
    setOption(curl_easy_setopt(curl, CURLOPT_WRITEDATA, &hop));
}

void performHop(CURL* curl, const HttpClientRequest& request, const HopPlan& plan, Hop& hop)
{
    if (plan.deadline && Clock::now() >= *plan.deadline)
        throw HttpClientError(plan.method + " " + CurlHttpClient::redactUrl(plan.url.url) +
                                  ": total timeout reached",
                              true);
    curl_easy_reset(curl);
    const HeaderList headers = requestHeaders(request, plan);
    char errorBuffer[CURL_ERROR_SIZE] = {0};
    configure(curl, request, plan, hop, headers, errorBuffer);

    const CURLcode result = curl_easy_perform(curl);
    // The handle keeps pointers to this frame's header list and error buffer.
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
    if (result == CURLE_OK) {
        if (!hop.headersComplete)
            hop.endHeaders();
        return;
    }
    switch (hop.abort) {
    case Hop::Abort::TooLarge:
        throw tooLarge(request.maxBytes);
    case Hop::Abort::ByReceiver:
        throw HttpClientError("aborted by receiver");
    case Hop::Abort::Failed:
        std::rethrow_exception(hop.failure);
    case Hop::Abort::None:
        break;
    }
    if (result == CURLE_FILESIZE_EXCEEDED)
        throw tooLarge(request.maxBytes);
    if (result == CURLE_COULDNT_CONNECT && hop.addressRefused)
        throw HttpClientError(plan.method + " " + CurlHttpClient::redactUrl(plan.url.url) +
                              ": the address it resolves to is refused");
    const std::string reason = errorBuffer[0] ? errorBuffer : curl_easy_strerror(result);
    throw HttpClientError(plan.method + " " + CurlHttpClient::redactUrl(plan.url.url) + ": " +
                              reason,
                          isRetryableTransferError(result));
}

void followRedirect(HopPlan& plan, long status, const ParsedUrl& target)
{
    const bool becomesGet = (status == 303 && plan.method != "HEAD") ||
                            ((status == 301 || status == 302) && plan.method == "POST");
    if (becomesGet) {
        plan.method = "GET";
        plan.bodyDropped = plan.bodyDropped || plan.sendBody;
        plan.sendBody = false;
    }
    plan.url = target;
}

} // namespace

CurlHttpClient::CurlHttpClient(Poco::Logger& logger) : _logger(logger) {}

HttpClientResponse CurlHttpClient::perform(const HttpClientRequest& request)
{
    return run(request, nullptr);
}

HttpClientResponse CurlHttpClient::stream(const HttpClientRequest& request, const Sink& sink)
{
    return run(request, &sink);
}

std::string CurlHttpClient::redactUrl(const std::string& url)
{
    UrlHandle handle = newUrlHandle();
    if (curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
        return "<unparsable URL>";
    curl_url_set(handle.get(), CURLUPART_USER, nullptr, 0);
    curl_url_set(handle.get(), CURLUPART_PASSWORD, nullptr, 0);
    curl_url_set(handle.get(), CURLUPART_FRAGMENT, nullptr, 0);
    const std::string query = urlPart(handle.get(), CURLUPART_QUERY);
    if (!query.empty()) {
        std::string redacted;
        std::string_view rest(query);
        while (true) {
            const auto ampersand = rest.find('&');
            const std::string_view parameter = rest.substr(0, ampersand);
            const std::string_view name = parameter.substr(0, parameter.find('='));
            if (!redacted.empty() || rest.data() != query.data())
                redacted += '&';
            if (isSecretQueryName(std::string(name)) && name.size() != parameter.size())
                redacted.append(name).append("=***");
            else
                redacted.append(parameter);
            if (ampersand == std::string_view::npos)
                break;
            rest.remove_prefix(ampersand + 1);
        }
        curl_url_set(handle.get(), CURLUPART_QUERY, redacted.c_str(), 0);
    }
    const std::string result = urlPart(handle.get(), CURLUPART_URL);
    return result.empty() ? "<unparsable URL>" : result;
}

HttpClientResponse CurlHttpClient::run(const HttpClientRequest& request, const Sink* sink)
{
    const auto origin = parseUrl(request.url);
    if (!origin || !isHttpScheme(origin->scheme))
        throw HttpClientError("not an http(s) URL: " + redactUrl(request.url));
    if (hasLineBreak(request.method) || request.method.empty() ||
        request.method.find_first_of(" \t") != std::string::npos)
        throw HttpClientError("invalid request method");

    const int maxAttempts = std::max(1, request.maxAttempts);
    for (int attempt = 1;; ++attempt) {
        const bool lastAttempt = attempt >= maxAttempts;
        AttemptState state;
        HopPlan plan;
        plan.url = *origin;
        plan.method = Poco::toUpper(request.method);
        plan.sendBody = !request.body.empty();
        if (request.totalTimeout.count() > 0)
            plan.deadline = Clock::now() + request.totalTimeout;

        std::optional<std::string> retryAfter;
        std::string failure;
        try {
            CurlHandlePool::Lease lease = _handles.acquire();
            for (int redirects = 0;;) {
                plan.credentials = plan.url.sameOrigin(*origin) ||
                                   isCredentialHost(plan.url, *origin, request.credentialHosts);
                Hop hop;
                hop.curl = lease.get();
                hop.request = &request;
                hop.sink = sink;
                hop.attempt = &state;
                hop.headOnly = plan.method == "HEAD";
                hop.mayRedirect = request.followRedirects;
                hop.mayRetryStatus = !lastAttempt;
                performHop(lease.get(), request, plan, hop);
                if (_logger.debug())
                    _logger.debug(plan.method + " " + redactUrl(plan.url.url) + " -> " +
                                  std::to_string(hop.status));

                const auto location = findHeader(hop.headers, "location");
                if (request.followRedirects && isRedirect(hop.status) && location) {
                    if (redirects >= request.maxRedirects)
                        throw HttpClientError("too many redirects (more than " +
                                              std::to_string(request.maxRedirects) + ")");
                    const auto target = parseUrl(*location, &plan.url.url);
                    if (!target)
                        throw HttpClientError("redirect to an invalid URL refused");
                    if (!isHttpScheme(target->scheme))
                        throw HttpClientError("redirect to a " + target->scheme + " URL refused");
                    if (request.allowRedirect && !request.allowRedirect(target->url))
                        throw HttpClientError("redirect to " + target->host + " refused");
                    followRedirect(plan, hop.status, *target);
                    ++redirects;
                    continue;
                }

                if (!lastAttempt && HttpClientRetry::retryableStatus(hop.status)) {
                    retryAfter = retryAfterOf(hop.headers);
                    failure = "status " + std::to_string(hop.status);
                    break;
                }
                HttpClientResponse response;
                response.status = hop.status;
                response.headers = std::move(hop.headers);
                response.body = std::move(hop.body);
                response.finalUrl = plan.url.url;
                response.bytesReceived = hop.bytes;
                response.attempts = attempt;
                return response;
            }
        } catch (const HttpClientError& error) {
            if (!error.retryable() || state.delivered)
                throw;
            if (lastAttempt) {
                if (maxAttempts == 1)
                    throw;
                throw HttpClientError(std::string(error.what()) + " (" + std::to_string(attempt) +
                                          " attempts)",
                                      true);
            }
            failure = error.what();
        }

        const auto wait = HttpClientRetry::delay(attempt, request.retryBaseDelay,
                                                 request.retryMaxDelay, retryAfter);
        _logger.information(request.method + " " + redactUrl(request.url) + " failed (" + failure +
                            "); attempt " + std::to_string(attempt + 1) + " of " +
                            std::to_string(maxAttempts) + " in " + std::to_string(wait.count()) +
                            " ms");
        std::this_thread::sleep_for(wait);
    }
}

} // namespace comfygate
