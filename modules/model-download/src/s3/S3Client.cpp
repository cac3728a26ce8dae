#include "S3Client.h"

#include <Poco/DOM/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/SAX/XMLReader.h>
#include <Poco/String.h>

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace comfygate::modeldownload {

namespace {

constexpr std::size_t maxAnswerBytes = 1024 * 1024; // S3 answers with small XML documents

using Clock = std::chrono::steady_clock;
using CurlHandle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;
using UrlHandle = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

void initialiseCurl()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string urlPart(CURLU* url, CURLUPart part)
{
    char* value = nullptr;
    if (curl_url_get(url, part, &value, 0) != CURLUE_OK || !value)
        return {};
    std::string text(value);
    curl_free(value);
    return text;
}

bool retryableStatus(long status)
{
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool retryableTransportError(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

/// The state libcurl's callbacks work on during one attempt.
struct Exchange
{
    const S3Request* request = nullptr;
    const S3Client::Hooks* hooks = nullptr;
    S3Response response;
    std::uint64_t readPosition = 0;
    bool cancelled = false;
    bool tooLarge = false;
    int readErrno = 0;

    static std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* user)
    {
        auto& exchange = *static_cast<Exchange*>(user);
        std::string_view line(data, size * count);
        if (line.substr(0, 5) == "HTTP/") {
            exchange.response.headers.clear(); // an interim 100 Continue, or the final status line
            return size * count;
        }
        const auto colon = line.find(':');
        if (colon != std::string_view::npos)
            exchange.response.headers.emplace_back(Poco::toLower(Poco::trim(std::string(line.substr(0, colon)))),
                                                   Poco::trim(std::string(line.substr(colon + 1))));
        return size * count;
    }

    static std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user)
    {
        auto& exchange = *static_cast<Exchange*>(user);
        if (exchange.response.body.size() + size * count > maxAnswerBytes) {
            exchange.tooLarge = true;
            return 0;
        }
        exchange.response.body.append(data, size * count);
        return size * count;
    }

    static std::size_t onRead(char* buffer, std::size_t size, std::size_t count, void* user)
    {
        auto& exchange = *static_cast<Exchange*>(user);
        const S3Request& request = *exchange.request;
        const std::uint64_t remaining = request.length - exchange.readPosition;
        const std::size_t wanted = std::size_t(std::min<std::uint64_t>(remaining, size * count));
        if (wanted == 0)
            return 0;
        const ssize_t got =
            ::pread(request.fileDescriptor, buffer, wanted, off_t(request.offset + exchange.readPosition));
        if (got <= 0) {
            exchange.readErrno = got < 0 ? errno : EIO; // the file shrank or failed under us
            return CURL_READFUNC_ABORT;
        }
        exchange.readPosition += std::uint64_t(got);
        return std::size_t(got);
    }

    static int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t uploaded)
    {
        auto& exchange = *static_cast<Exchange*>(user);
        // No exception may unwind through libcurl's C frames.
        try {
            if (exchange.hooks->cancelled && exchange.hooks->cancelled()) {
                exchange.cancelled = true;
                return 1;
            }
            if (exchange.hooks->progress && uploaded > 0)
                exchange.hooks->progress(std::uint64_t(uploaded));
        } catch (...) {
            exchange.cancelled = true;
            return 1;
        }
        return 0;
    }
};

void setOption(CURLcode result)
{
    if (result != CURLE_OK)
        throw S3Error(std::string("S3: libcurl refused an option: ") + curl_easy_strerror(result));
}

void appendHeader(HeaderList& list, const std::string& line)
{
    curl_slist* extended = curl_slist_append(list.get(), line.c_str());
    if (!extended)
        throw std::bad_alloc();
    list.release();
    list.reset(extended);
}

Poco::AutoPtr<Poco::XML::Document> parseXml(const std::string& body)
{
    Poco::XML::DOMParser parser;
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
    return parser.parseString(body);
}

/// S3's <Code> and <Message>, when the body is an S3 error document.
std::pair<std::string, std::string> errorDetails(const std::string& body)
{
    if (body.find("<Error") == std::string::npos)
        return {};
    try {
        Poco::AutoPtr<Poco::XML::Document> document = parseXml(body);
        if (!document->documentElement() || document->documentElement()->nodeName() != "Error")
            return {};
        return {S3Client::elementText(*document, "Code"), S3Client::elementText(*document, "Message")};
    } catch (const Poco::Exception&) {
        return {};
    }
}

std::string hintFor(const std::string& code, long status)
{
    if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || (code.empty() && status == 403))
        return " (check S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY)";
    if (code == "NoSuchBucket")
        return " (check s3.bucket)";
    if (code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect" || status == 301 || status == 307)
        return " (check s3.region and s3.endpoint)";
    return {};
}

} // namespace

std::optional<std::string> S3Response::header(const std::string& lowerName) const
{
    for (const auto& [name, value] : headers) {
        if (name == lowerName)
            return value;
    }
    return std::nullopt;
}

S3Client::S3Client(Settings settings, Poco::Logger& logger) : _settings(std::move(settings)), _logger(logger)
{
    initialiseCurl();
    UrlHandle url(curl_url(), &curl_url_cleanup);
    if (!url)
        throw std::bad_alloc();
    if (curl_url_set(url.get(), CURLUPART_URL, _settings.endpoint.c_str(), 0) != CURLUE_OK)
        throw std::invalid_argument("s3.endpoint is not a URL: " + _settings.endpoint);
    _scheme = Poco::toLower(urlPart(url.get(), CURLUPART_SCHEME));
    const std::string host = urlPart(url.get(), CURLUPART_HOST);
    const std::string port = urlPart(url.get(), CURLUPART_PORT);
    const std::string path = urlPart(url.get(), CURLUPART_PATH);
    if (_scheme != "http" && _scheme != "https")
        throw std::invalid_argument("s3.endpoint must be an http or https URL: " + _settings.endpoint);
    if (host.empty() || !urlPart(url.get(), CURLUPART_USER).empty() || !urlPart(url.get(), CURLUPART_QUERY).empty() ||
        (!path.empty() && path != "/"))
        throw std::invalid_argument("s3.endpoint must be scheme://host[:port] only (no credentials, path or query): " +
                                    _settings.endpoint);
    _authority = port.empty() ? host : host + ":" + port;

    const auto& bucket = _settings.bucket;
    const bool bucketValid =
        bucket.size() >= 3 && bucket.size() <= 63 &&
        std::all_of(bucket.begin(), bucket.end(),
                    [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'; }) &&
        bucket.front() != '-' && bucket.front() != '.' && bucket.back() != '-' && bucket.back() != '.';
    if (!bucketValid)
        throw std::invalid_argument("s3.bucket is not a valid bucket name (3-63 of a-z 0-9 . -): '" + bucket + "'");
    const auto& region = _settings.region;
    if (region.empty() || !std::all_of(region.begin(), region.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        }))
        throw std::invalid_argument("s3.region is not a region name: '" + region + "'");
    if (_settings.accessKeyId.empty() || _settings.secretAccessKey.empty())
        throw std::invalid_argument(
            "S3 credentials are missing: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY in the environment");
    if (_settings.accessKeyId.find(':') != std::string::npos)
        throw std::invalid_argument("S3_ACCESS_KEY_ID must not contain ':'");
}

std::string S3Client::encode(const std::string& text, bool keepSlash)
{
    static const char hex[] = "0123456789ABCDEF";
    std::string encoded;
    encoded.reserve(text.size());
    for (const unsigned char c : text) {
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~' || (keepSlash && c == '/');
        if (unreserved) {
            encoded += char(c);
        } else {
            encoded += '%';
            encoded += hex[c >> 4];
            encoded += hex[c & 0x0F];
        }
    }
    return encoded;
}

std::string S3Client::urlOf(const S3Request& request) const
{
    std::string url = _scheme + "://";
    if (_settings.pathStyle) {
        url += _authority + "/" + _settings.bucket;
        if (!request.key.empty())
            url += "/" + encode(request.key, true);
    } else {
        url += _settings.bucket + "." + _authority + "/" + encode(request.key, true);
    }
    // SigV4 signs the query as sent: it must already be canonical (sorted, encoded, "name=").
    auto query = request.query;
    std::sort(query.begin(), query.end());
    for (std::size_t i = 0; i < query.size(); ++i)
        url += (i == 0 ? "?" : "&") + encode(query[i].first, false) + "=" + encode(query[i].second, false);
    return url;
}

S3Response S3Client::attempt(const S3Request& request, const Hooks& hooks, std::string& transportError,
                             bool& retryable) const
{
    CurlHandle curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl)
        throw S3Error("S3: libcurl cannot create a handle");
    CURL* handle = curl.get();
    const std::string url = urlOf(request);
    const std::string sigV4 = "aws:amz:" + _settings.region + ":s3";

    HeaderList headers(nullptr, &curl_slist_free_all);
    appendHeader(headers, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    appendHeader(headers, "Expect:"); // no 100-continue round trip before each part
    if (!request.contentType.empty())
        appendHeader(headers, "Content-Type: " + request.contentType);
    for (const auto& [name, value] : request.headers)
        appendHeader(headers, name + ": " + value);

    Exchange exchange;
    exchange.request = &request;
    exchange.hooks = &hooks;
    char errorBuffer[CURL_ERROR_SIZE] = {0};

    setOption(curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, errorBuffer));
    setOption(curl_easy_setopt(handle, CURLOPT_URL, url.c_str()));
    setOption(curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L));
#if LIBCURL_VERSION_NUM >= 0x075500
    setOption(curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https"));
#else
    setOption(curl_easy_setopt(handle, CURLOPT_PROTOCOLS, long(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
#endif
    setOption(curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L));
    setOption(curl_easy_setopt(handle, CURLOPT_AWS_SIGV4, sigV4.c_str()));
    setOption(curl_easy_setopt(handle, CURLOPT_USERNAME, _settings.accessKeyId.c_str()));
    setOption(curl_easy_setopt(handle, CURLOPT_PASSWORD, _settings.secretAccessKey.c_str()));
    setOption(curl_easy_setopt(handle, CURLOPT_USERAGENT, "comfygate-s3/1"));
    setOption(curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, long(_settings.connectTimeout.count())));
    if (_settings.stallTimeout.count() > 0) {
        setOption(curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L));
        setOption(curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, long(_settings.stallTimeout.count())));
    }
    setOption(curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get()));
    setOption(curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, &Exchange::onHeader));
    setOption(curl_easy_setopt(handle, CURLOPT_HEADERDATA, &exchange));
    setOption(curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &Exchange::onBody));
    setOption(curl_easy_setopt(handle, CURLOPT_WRITEDATA, &exchange));
    setOption(curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L));
    setOption(curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, &Exchange::onProgress));
    setOption(curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &exchange));

    if (request.fileDescriptor >= 0) {
        setOption(curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L));
        setOption(curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.length)));
        setOption(curl_easy_setopt(handle, CURLOPT_READFUNCTION, &Exchange::onRead));
        setOption(curl_easy_setopt(handle, CURLOPT_READDATA, &exchange));
        if (request.method != "PUT")
            setOption(curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
    } else if (request.method == "HEAD") {
        setOption(curl_easy_setopt(handle, CURLOPT_NOBODY, 1L));
    } else if (request.method == "POST" || !request.body.empty()) {
        setOption(curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.size())));
        setOption(curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.c_str()));
        if (request.method != "POST")
            setOption(curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
    } else if (request.method != "GET") {
        setOption(curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
    }

    const CURLcode result = curl_easy_perform(handle);
    if (exchange.cancelled)
        throw TransferCancelled();
    if (result == CURLE_OK) {
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &exchange.response.status);
        return std::move(exchange.response);
    }
    if (exchange.tooLarge)
        throw S3Error("S3 answered with more than " + std::to_string(maxAnswerBytes) + " bytes");
    if (exchange.readErrno != 0)
        throw S3Error(std::string("reading the local file failed: ") + std::strerror(exchange.readErrno));
    retryable = retryableTransportError(result);
    transportError = errorBuffer[0] ? errorBuffer : curl_easy_strerror(result);
    return {};
}

S3Response S3Client::send(const S3Request& request, const std::string& operation, const Hooks& hooks) const
{
    const int maxAttempts = std::max(1, _settings.maxAttempts);
    for (int attempt = 1;; ++attempt) {
        std::string transportError;
        bool retryable = false;
        S3Response response = this->attempt(request, hooks, transportError, retryable);
        const bool failedRetryably = transportError.empty() ? retryableStatus(response.status) : retryable;
        if (transportError.empty() && !failedRetryably) {
            if (response.status < 300 || (response.status == 404 && request.notFoundIsAnswer))
                return response;
            fail(response, operation);
        }
        const std::string why = transportError.empty() ? "HTTP " + std::to_string(response.status) : transportError;
        if (!failedRetryably || attempt >= maxAttempts) {
            if (!transportError.empty())
                throw S3Error("S3 " + operation + " failed: " + why +
                              (attempt > 1 ? " (" + std::to_string(attempt) + " attempts)" : ""));
            fail(response, operation);
        }
        const std::chrono::milliseconds delay =
            std::min(_settings.retryMaxDelay,
                     std::chrono::milliseconds(_settings.retryBaseDelay.count() << std::min(attempt - 1, 16)));
        _logger.warning("S3 " + operation + " failed (" + why + "); attempt " + std::to_string(attempt + 1) + " of " +
                        std::to_string(maxAttempts) + " in " + std::to_string(delay.count()) + " ms");
        pause(delay, hooks);
    }
}

std::string S3Client::elementText(const Poco::XML::Node& node, const std::string& name)
{
    Poco::AutoPtr<Poco::XML::NodeList> nodes =
        node.nodeType() == Poco::XML::Node::DOCUMENT_NODE
            ? static_cast<const Poco::XML::Document&>(node).getElementsByTagName(name)
            : static_cast<const Poco::XML::Element&>(node).getElementsByTagName(name);
    return nodes->length() > 0 ? nodes->item(0)->innerText() : std::string();
}

Poco::AutoPtr<Poco::XML::Document> S3Client::parseAnswer(const S3Response& response, const std::string& operation)
{
    if (!errorDetails(response.body).first.empty())
        fail(response, operation);
    try {
        return parseXml(response.body);
    } catch (const Poco::Exception& e) {
        throw S3Error("S3 " + operation + " failed: the answer is not XML (" + e.displayText() + ")", response.status);
    }
}

void S3Client::fail(const S3Response& response, const std::string& operation)
{
    const auto [code, message] = errorDetails(response.body);
    std::string text = "S3 " + operation + " failed: HTTP " + std::to_string(response.status);
    if (!code.empty())
        text += " " + code;
    if (!message.empty())
        text += ": " + message;
    text += hintFor(code, response.status);
    throw S3Error(text, response.status, code);
}

void S3Client::pause(std::chrono::milliseconds delay, const Hooks& hooks) const
{
    const auto until = Clock::now() + delay;
    while (Clock::now() < until) {
        if (hooks.cancelled && hooks.cancelled())
            throw TransferCancelled();
        std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(100), until - Clock::now()));
    }
}

} // namespace comfygate::modeldownload
