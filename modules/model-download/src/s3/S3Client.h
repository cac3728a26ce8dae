#pragma once

#include "FileTransfer.h"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/Document.h>
#include <Poco/Logger.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace comfygate::modeldownload {

/// S3 refused a request or could not be reached (after retries). what() is a message a
/// person can act on, e.g. "S3 upload of models/a.bin failed: HTTP 403 InvalidAccessKeyId:
/// The AWS Access Key Id you provided does not exist in our records. (check
/// S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY)". Never contains credentials.
class S3Error : public TransferFailed
{
public:
    S3Error(const std::string& message, long status = 0, std::string code = {})
        : TransferFailed(message), _status(status), _code(std::move(code))
    {
    }
    long status() const { return _status; }           ///< 0 for transport failures
    const std::string& code() const { return _code; } ///< S3's <Code>, when it sent one

private:
    long _status;
    std::string _code;
};

/// One request to the bucket. Keys and query values are given unencoded; the client encodes
/// them canonically (RFC 3986, query sorted) so that libcurl's SigV4 signature matches what
/// S3 computes.
struct S3Request
{
    std::string method = "GET";
    std::string key;                                        ///< full object key; empty = the bucket
    std::vector<std::pair<std::string, std::string>> query; ///< e.g. {"uploadId", id}
    std::string body;                                       ///< small bodies (XML)
    std::string contentType;
    std::vector<std::pair<std::string, std::string>> headers; ///< extra headers (signed by libcurl)

    /// A body streamed from an open file: `length` bytes from `offset`, read as libcurl asks,
    /// so a part is never held in memory. Used instead of `body` when fileDescriptor >= 0.
    int fileDescriptor = -1;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;

    bool notFoundIsAnswer = false; ///< 404 comes back as a response instead of an S3Error
};

struct S3Response
{
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers; ///< names lower-cased
    std::string body;

    std::optional<std::string> header(const std::string& lowerName) const;
};

/// Sends signed requests to one bucket of an S3-compatible service with libcurl, which
/// computes the AWS Signature Version 4 itself (CURLOPT_AWS_SIGV4 "aws:amz:<region>:s3").
/// The payload is declared UNSIGNED-PAYLOAD (x-amz-content-sha256), which S3 accepts and
/// which lets bodies stream from disk; TLS protects them on https endpoints.
///
/// Network errors and 408/429/500/502/503/504 are retried with exponential backoff (the file
/// part is re-read from its offset); any other status >= 300 becomes an S3Error carrying
/// S3's `<Code>` and `<Message>`. Redirects are not followed (S3 uses them for a wrong
/// region or endpoint, which the error then says). Safe to use from several threads.
class S3Client
{
public:
    struct Settings
    {
        std::string endpoint; ///< http(s)://host[:port], no path
        std::string bucket;
        std::string region = "us-east-1";
        std::string accessKeyId;
        std::string secretAccessKey;
        bool pathStyle = true; ///< endpoint/bucket/key; false: bucket.host/key
        int maxAttempts = 4;
        std::chrono::milliseconds retryBaseDelay{500};
        std::chrono::milliseconds retryMaxDelay{8000};
        std::chrono::milliseconds connectTimeout{10000};
        std::chrono::seconds stallTimeout{60};
    };

    struct Hooks
    {
        std::function<void(std::uint64_t bytesSent)> progress; ///< of this request's body
        std::function<bool()> cancelled;                       ///< polled while sending and waiting
    };

    /// Throws std::invalid_argument when the endpoint, bucket or region is unusable.
    S3Client(Settings settings, Poco::Logger& logger);

    /// Sends the request; `operation` names it in errors and logs ("upload of a/b.bin").
    /// Throws S3Error, or TransferCancelled when hooks.cancelled() turned true.
    S3Response send(const S3Request& request, const std::string& operation, const Hooks& hooks = {}) const;

    const std::string& bucket() const { return _settings.bucket; }

    /// RFC 3986 percent-encoding as SigV4 wants it; `/` kept when keepSlash.
    static std::string encode(const std::string& text, bool keepSlash);

    /// Parses an S3 answer (external entities off). Throws S3Error naming `operation` when
    /// it is not XML, or when it is an S3 <Error> document (CompleteMultipartUpload may
    /// answer 200 with one).
    static Poco::AutoPtr<Poco::XML::Document> parseAnswer(const S3Response& response, const std::string& operation);
    /// The text of the first element called `name` below `node` ("" when there is none).
    static std::string elementText(const Poco::XML::Node& node, const std::string& name);

private:
    std::string urlOf(const S3Request& request) const;
    S3Response attempt(const S3Request& request, const Hooks& hooks, std::string& transportError,
                       bool& retryable) const;
    [[noreturn]] static void fail(const S3Response& response, const std::string& operation);
    void pause(std::chrono::milliseconds delay, const Hooks& hooks) const;

    Settings _settings;
    std::string _scheme;
    std::string _authority; ///< host[:port] of the endpoint
    Poco::Logger& _logger;
};

} // namespace comfygate::modeldownload
