#pragma once

#include "SourceResolver.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

namespace comfygate {
class HttpClient;
}

namespace comfygate::modeldownload {

struct TransferProgress
{
    std::int64_t bytesDone = 0;
    std::int64_t totalBytes = -1; ///< -1 while unknown
    double speedBps = 0;
};

/// The transfer failed for good (after retries); what() says why and what to do.
class TransferFailed : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// The job was cancelled while transferring; the partial file has been removed.
class TransferCancelled : public std::runtime_error
{
public:
    TransferCancelled() : std::runtime_error("cancelled") {}

protected:
    explicit TransferCancelled(const char* what) : std::runtime_error(what) {}
};

/// The transfer was stopped to be continued later (the server is shutting down): unlike a
/// cancel, the `.part` and its state were kept, so the next run resumes with Range. A
/// TransferCancelled, so code that only knows "it stopped" treats both alike.
class TransferPaused : public TransferCancelled
{
public:
    TransferPaused() : TransferCancelled("paused") {}
};

/// Moves one resolved file into `<directory>/<finalName>` safely: bytes go to
/// `<finalName>.part` with a small state file beside it, a dropped connection or a restart
/// resumes with Range/If-Range, size and SHA-256 are verified, and only then the file is
/// fsynced and renamed into place. An expired signed URL is answered by asking `reResolve`
/// for a fresh ResolvedFile.
///
/// Redirects are followed hop by hop by the HttpClient; every hop (the first URL included)
/// must pass OutboundUrlPolicy, and the API key goes only to `credentialHosts`. Failures
/// before the body are retried inside the HttpClient (Retry-After honoured); a connection
/// lost mid-body is resumed here with `Range` after a capped full-jitter backoff, the budget
/// of `maxAttempts` restarting whenever bytes arrive. On an ordinary failure the `.part`
/// and its state stay for a later resume; on cancellation, a hash or size mismatch or an
/// HTML answer they are removed; when paused (Hooks::paused) they are kept.
///
/// A large file from a server that honours Range is fetched in parallel (Settings::
/// parallelConnections): the `.part` gets its full size, workers write their ranges at
/// their offsets, the state file lists the completed ranges, and the SHA-256 is computed in
/// a final pass over the file.
class FileTransfer
{
public:
    struct Hooks
    {
        std::function<void(const TransferProgress&)> progress; ///< at most a few times a second
        std::function<bool()> cancelled;                       ///< polled while transferring
        /// Polled before `cancelled`: true stops the transfer but keeps the partial file.
        std::function<bool()> paused;
        std::function<ResolvedFile()> reResolve; ///< fresh URL after 403/expiry
    };

    struct Settings
    {
        int maxAttempts = 6;
        std::chrono::milliseconds retryBaseDelay{1000};
        std::chrono::milliseconds retryMaxDelay{30000};
        std::chrono::seconds stallTimeout{60};
        bool allowPrivateAddresses = false; ///< every hop must be https to a public address unless set
        std::string userAgent = "comfygate-downloader/1";
        long stallBytesPerSecond = 1024; ///< slower than this for stallTimeout counts as a stall
        int maxReResolves = 3;           ///< fresh URLs asked for after 403s from storage, per transfer
        std::chrono::milliseconds progressInterval{250};
        std::chrono::milliseconds connectTimeout{15000};
        /// Parallel ranges: a file of at least parallelMinBytes from a server that answers
        /// Range with 206 is fetched by this many connections at once (1 = never).
        int parallelConnections = 4;
        std::int64_t parallelMinBytes = 64ll << 20;
    };

    /// What a finished transfer published.
    struct Result
    {
        std::filesystem::path path;
        std::string sha256; ///< lower-case hex of the published bytes, verified when the source named one
        std::int64_t size = 0;
    };

    FileTransfer(HttpClient& http, Settings settings) : _http(http), _settings(std::move(settings)) {}

    /// Returns the published path. Throws TransferFailed or TransferCancelled.
    std::filesystem::path run(const ResolvedFile& file, const std::filesystem::path& directory,
                              const std::string& finalName, const Hooks& hooks);

    /// run() that also returns the SHA-256 and size of what it published (a Hugging Face
    /// file known only by its git SHA-1 gets its SHA-256 here, for deduplication).
    Result transfer(const ResolvedFile& file, const std::filesystem::path& directory, const std::string& finalName,
                    const Hooks& hooks);

    /// `<finalName>.part` and `<finalName>.part.json`: where a transfer keeps its bytes and state.
    static std::filesystem::path partPath(const std::filesystem::path& directory, const std::string& finalName);
    static std::filesystem::path statePath(const std::filesystem::path& directory, const std::string& finalName);

private:
    HttpClient& _http;
    Settings _settings;
};

} // namespace comfygate::modeldownload
