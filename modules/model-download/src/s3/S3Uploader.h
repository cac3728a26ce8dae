#pragma once

#include "FileTransfer.h"
#include "S3Client.h"

#include <Poco/Logger.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace comfygate {
class Config;
}

namespace comfygate::modeldownload {

/// An object in the bucket.
struct S3Object
{
    std::string key;  ///< the full object key, prefix included
    std::string etag; ///< as S3 sends it, quotes removed
    std::uint64_t size = 0;
    /// User metadata (x-amz-meta-<name>), names lower-case; e.g. {"sha256", hex} for dedupe,
    /// since an S3 ETag is not a SHA-256. Filled by head(), not by list().
    std::map<std::string, std::string> metadata;
};

/// Puts verified files into an S3-compatible bucket (the `destination_type: "s3"` of model
/// downloads). Every key a caller gives is relative to the configured prefix and confined
/// under it. Files up to the part size go up in one PUT; larger ones as a multipart upload
/// whose parts stream from the file (never the whole file in memory), each part retried on
/// its own, and aborted (AbortMultipartUpload) on any failure or cancel so that no object and
/// no orphaned parts remain. The uploaded object's size is checked with a HEAD at the end.
/// Credentials never appear in logs or messages. Safe to use from several threads.
class S3Uploader
{
public:
    static constexpr std::uint64_t minPartSize = 5ull * 1024 * 1024; ///< S3's minimum (all but the last part)
    static constexpr std::uint64_t maxParts = 10000;                 ///< S3's maximum

    struct Settings
    {
        std::string endpoint; ///< http(s)://host[:port]
        std::string bucket;
        std::string region = "us-east-1";
        std::string prefix; ///< e.g. "comfyui/"; keys land under it
        std::string accessKeyId;
        std::string secretAccessKey;
        std::uint64_t partSizeBytes = 16ull * 1024 * 1024; ///< at least minPartSize
        bool pathStyle = true;
        int maxAttempts = 4; ///< per request (per part), for network errors and 408/429/5xx
        std::chrono::milliseconds retryBaseDelay{500};
        std::chrono::seconds stallTimeout{60};
    };

    struct Hooks
    {
        std::function<void(const TransferProgress&)> progress; ///< a few times a second, and at the end
        std::function<bool()> cancelled;                       ///< polled while uploading
    };

    /// The settings from the configuration: s3.endpoint, s3.bucket, s3.region, s3.prefix,
    /// s3.part_size_mb, s3.path_style, and the credentials s3.access_key_id /
    /// s3.secret_access_key, which the kernel fills from S3_ACCESS_KEY_ID /
    /// S3_SECRET_ACCESS_KEY. Throws std::invalid_argument naming the key that is wrong.
    static Settings settingsFromConfig(const Config& global);

    /// Throws std::invalid_argument when a setting is unusable (names the setting).
    explicit S3Uploader(Settings settings, Poco::Logger& logger = Poco::Logger::get("comfygate.model-download.s3"));

    /// prefix + key after confining `key`: relative, `/`-separated, no empty, `.` or `..`
    /// segment, no backslash or control character, at most 1024 bytes in all. Throws
    /// std::invalid_argument saying what is wrong.
    std::string objectKey(const std::string& key) const;

    /// "s3://<bucket>/<full key>", what a job shows as its destination.
    std::string location(const S3Object& object) const;

    /// Uploads the file to objectKey(key), with `metadata` stored as x-amz-meta-<name> (names
    /// of a-z 0-9 -, printable ASCII values, 2 KiB in all). Throws S3Error (a TransferFailed)
    /// with S3's reason, TransferCancelled when hooks.cancelled() turned true,
    /// std::invalid_argument for a bad key or metadata.
    S3Object upload(const std::filesystem::path& localPath, const std::string& key, const Hooks& hooks = {},
                    const std::map<std::string, std::string>& metadata = {});

    /// The object at objectKey(key), or nullopt when there is none (HEAD). For dedupe.
    std::optional<S3Object> head(const std::string& key) const;
    bool exists(const std::string& key) const { return head(key).has_value(); }

    /// Objects whose key starts with objectKey(prefix) (the whole prefix when empty), at most
    /// maxKeys (1..1000) in key order (ListObjectsV2, one page).
    std::vector<S3Object> list(const std::string& prefix = {}, int maxKeys = 1000) const;

    std::uint64_t partSize() const { return _partSize; }

private:
    std::string confined(const std::string& key, bool allowEmpty, bool allowTrailingSlash) const;
    using Headers = std::vector<std::pair<std::string, std::string>>;
    S3Object putSingle(int fd, std::uint64_t size, const std::string& fullKey, const Headers& metadata,
                       const Hooks& hooks);
    S3Object putMultipart(int fd, std::uint64_t size, const std::string& fullKey, const Headers& metadata,
                          const Hooks& hooks);
    std::optional<S3Object> headFull(const std::string& fullKey) const;

    std::string _prefix;
    std::uint64_t _partSize;
    S3Client _client;
    Poco::Logger& _logger;
};

} // namespace comfygate::modeldownload
