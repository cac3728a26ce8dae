#include "S3Uploader.h"

#include "comfygate/Config.h"

#include <Poco/DOM/Element.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/SAX/AttributesImpl.h>
#include <Poco/XML/XMLWriter.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace comfygate::modeldownload {

namespace {

constexpr std::uint64_t mebibyte = 1024 * 1024;
constexpr std::size_t maxKeyBytes = 1024; // S3's limit for a whole key

using Clock = std::chrono::steady_clock;

/// Closes the file whatever happens to the upload.
class OpenFile
{
public:
    explicit OpenFile(const std::filesystem::path& path) : _fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC))
    {
        if (_fd < 0)
            throw S3Error("cannot open " + path.string() + " for upload: " + std::strerror(errno));
    }
    ~OpenFile() { ::close(_fd); }
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;

    int fd() const { return _fd; }
    std::uint64_t size() const
    {
        struct stat info
        {
        };
        if (::fstat(_fd, &info) != 0 || !S_ISREG(info.st_mode))
            throw S3Error("only regular files can be uploaded");
        return std::uint64_t(info.st_size);
    }

private:
    int _fd;
};

/// Turns the bytes of consecutive requests into TransferProgress reports, a few a second.
class ProgressMeter
{
public:
    ProgressMeter(const S3Uploader::Hooks& hooks, std::uint64_t total) : _hooks(hooks), _total(total) {}

    /// Hooks for one request whose body starts at `base` bytes of the whole.
    S3Client::Hooks forRequestAt(std::uint64_t base)
    {
        return {[this, base](std::uint64_t sent) { report(base + sent, false); }, _hooks.cancelled};
    }

    void report(std::uint64_t done, bool force)
    {
        if (!_hooks.progress)
            return;
        const auto now = Clock::now();
        if (!force && now - _lastReport < std::chrono::milliseconds(250))
            return;
        _lastReport = now;
        const double seconds = std::chrono::duration<double>(now - _start).count();
        TransferProgress progress;
        progress.bytesDone = std::int64_t(done);
        progress.totalBytes = std::int64_t(_total);
        progress.speedBps = seconds > 0 ? double(done) / seconds : 0;
        _hooks.progress(progress);
    }

private:
    const S3Uploader::Hooks& _hooks;
    std::uint64_t _total;
    Clock::time_point _start = Clock::now();
    Clock::time_point _lastReport{};
};

std::string unquoted(std::string etag)
{
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
        etag = etag.substr(1, etag.size() - 2);
    return etag;
}

std::string completeMultipartXml(const std::vector<std::string>& etags)
{
    std::ostringstream out;
    Poco::XML::XMLWriter writer(out, 0);
    writer.startDocument();
    Poco::XML::AttributesImpl namespaceAttribute;
    namespaceAttribute.addAttribute("", "", "xmlns", "CDATA", "http://s3.amazonaws.com/doc/2006-03-01/");
    writer.startElement("", "", "CompleteMultipartUpload", namespaceAttribute);
    for (std::size_t i = 0; i < etags.size(); ++i) {
        writer.startElement("", "", "Part");
        writer.dataElement("", "", "PartNumber", std::to_string(i + 1));
        writer.dataElement("", "", "ETag", "\"" + etags[i] + "\"");
        writer.endElement("", "", "Part");
    }
    writer.endElement("", "", "CompleteMultipartUpload");
    writer.endDocument();
    return out.str();
}

/// The x-amz-meta-* headers for `metadata`, checked so that nothing can break the header block.
std::vector<std::pair<std::string, std::string>> metadataHeaders(const std::map<std::string, std::string>& metadata)
{
    std::vector<std::pair<std::string, std::string>> headers;
    std::size_t total = 0;
    for (const auto& [name, value] : metadata) {
        const bool nameValid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        });
        if (!nameValid)
            throw std::invalid_argument("S3 metadata names are a-z 0-9 and '-': '" + name + "'");
        if (!std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c < 0x7F; }))
            throw std::invalid_argument("S3 metadata values are printable ASCII (" + name + ")");
        total += name.size() + value.size();
        headers.emplace_back("x-amz-meta-" + name, value);
    }
    if (total > 2048)
        throw std::invalid_argument("S3 metadata is limited to 2 KiB");
    return headers;
}

std::uint64_t parseSize(const std::string& text, const std::string& what)
{
    try {
        std::size_t used = 0;
        const unsigned long long value = std::stoull(text, &used);
        if (used == text.size())
            return value;
    } catch (const std::exception&) {
    }
    throw S3Error("S3 answered an unreadable " + what + ": '" + text + "'");
}

} // namespace

S3Uploader::Settings S3Uploader::settingsFromConfig(const Config& global)
{
    Settings settings;
    settings.endpoint = global.getString("s3.endpoint", "");
    settings.bucket = global.getString("s3.bucket", "");
    settings.region = global.getString("s3.region", settings.region);
    settings.prefix = global.getString("s3.prefix", "");
    settings.pathStyle = global.getBool("s3.path_style", true);
    settings.accessKeyId = global.getString("s3.access_key_id", "");
    settings.secretAccessKey = global.getString("s3.secret_access_key", "");
    const long long partMb = global.getInt("s3.part_size_mb", 16);
    if (partMb < 5 || partMb > 5 * 1024)
        throw std::invalid_argument(global.fullKey("s3.part_size_mb") + " must be between 5 and 5120 (MiB), not " +
                                    std::to_string(partMb));
    settings.partSizeBytes = std::uint64_t(partMb) * mebibyte;
    if (settings.endpoint.empty())
        throw std::invalid_argument(global.fullKey("s3.endpoint") +
                                    " is not set (e.g. https://s3.us-east-1.amazonaws.com)");
    if (settings.bucket.empty())
        throw std::invalid_argument(global.fullKey("s3.bucket") + " is not set");
    return settings;
}

S3Uploader::S3Uploader(Settings settings, Poco::Logger& logger)
    : _partSize(settings.partSizeBytes), _client(
                                             S3Client::Settings{
                                                 settings.endpoint,
                                                 settings.bucket,
                                                 settings.region,
                                                 settings.accessKeyId,
                                                 settings.secretAccessKey,
                                                 settings.pathStyle,
                                                 settings.maxAttempts,
                                                 settings.retryBaseDelay,
                                                 std::chrono::milliseconds(8000),
                                                 std::chrono::milliseconds(10000),
                                                 settings.stallTimeout,
                                             },
                                             logger),
      _logger(logger)
{
    if (_partSize < minPartSize)
        throw std::invalid_argument("the S3 part size must be at least 5 MiB");
    // The prefix is confined like a key; stored with a trailing slash so keys sit below it.
    if (!settings.prefix.empty()) {
        _prefix = confined(settings.prefix, false, true);
        if (_prefix.back() != '/')
            _prefix += '/';
    }
}

std::string S3Uploader::confined(const std::string& key, bool allowEmpty, bool allowTrailingSlash) const
{
    if (key.empty()) {
        if (allowEmpty)
            return key;
        throw std::invalid_argument("the S3 key is empty");
    }
    if (key.front() == '/')
        throw std::invalid_argument("the S3 key must be relative (no leading '/'): " + key);
    for (const unsigned char c : key) {
        if (c < 0x20 || c == 0x7F || c == '\\')
            throw std::invalid_argument("the S3 key contains a control character or a backslash");
    }
    const std::string segments = allowTrailingSlash && key.back() == '/' ? key.substr(0, key.size() - 1) : key;
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = segments.find('/', start);
        const std::string segment =
            segments.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (segment.empty() || segment == "." || segment == "..")
            throw std::invalid_argument("the S3 key must not contain empty, '.' or '..' segments: " + key);
        if (slash == std::string::npos)
            break;
        start = slash + 1;
    }
    return key;
}

std::string S3Uploader::objectKey(const std::string& key) const
{
    const std::string full = _prefix + confined(key, false, false);
    if (full.size() > maxKeyBytes)
        throw std::invalid_argument("the S3 key is longer than 1024 bytes");
    return full;
}

std::string S3Uploader::location(const S3Object& object) const
{
    return "s3://" + _client.bucket() + "/" + object.key;
}

S3Object S3Uploader::upload(const std::filesystem::path& localPath, const std::string& key, const Hooks& hooks,
                            const std::map<std::string, std::string>& metadata)
{
    const std::string fullKey = objectKey(key);
    const Headers metaHeaders = metadataHeaders(metadata);
    OpenFile file(localPath);
    const std::uint64_t size = file.size();
    _logger.information("S3 upload of " + localPath.string() + " (" + std::to_string(size) + " bytes) to " +
                        location(S3Object{fullKey, {}, 0, {}}));
    const S3Object uploaded = size <= _partSize ? putSingle(file.fd(), size, fullKey, metaHeaders, hooks)
                                                : putMultipart(file.fd(), size, fullKey, metaHeaders, hooks);

    // What S3 now holds must be what we sent; a proxy or a concurrent writer could differ.
    const auto stored = headFull(fullKey);
    if (!stored)
        throw S3Error("S3 upload of " + fullKey + " failed: the object is missing after the upload");
    if (stored->size != size)
        throw S3Error("S3 upload of " + fullKey + " failed: S3 holds " + std::to_string(stored->size) +
                      " bytes, the file has " + std::to_string(size));
    _logger.information("S3 upload of " + fullKey + " complete");
    S3Object result = uploaded;
    result.metadata = stored->metadata;
    return result;
}

S3Object S3Uploader::putSingle(int fd, std::uint64_t size, const std::string& fullKey, const Headers& metadata,
                               const Hooks& hooks)
{
    ProgressMeter meter(hooks, size);
    S3Request request;
    request.method = "PUT";
    request.key = fullKey;
    request.fileDescriptor = fd;
    request.length = size;
    request.headers = metadata;
    const S3Response response = _client.send(request, "upload of " + fullKey, meter.forRequestAt(0));
    meter.report(size, true);
    return S3Object{fullKey, unquoted(response.header("etag").value_or("")), size, {}};
}

S3Object S3Uploader::putMultipart(int fd, std::uint64_t size, const std::string& fullKey, const Headers& metadata,
                                  const Hooks& hooks)
{
    // S3 allows 10000 parts: very large files get larger parts (whole MiB).
    std::uint64_t partSize = _partSize;
    if ((size + partSize - 1) / partSize > maxParts)
        partSize = ((size + maxParts - 1) / maxParts + mebibyte - 1) / mebibyte * mebibyte;
    const std::string operation = "upload of " + fullKey;

    S3Request create;
    create.method = "POST";
    create.key = fullKey;
    create.query = {{"uploads", ""}};
    create.headers = metadata;
    const S3Response created = _client.send(create, operation + " (CreateMultipartUpload)");
    const std::string uploadId =
        S3Client::elementText(*S3Client::parseAnswer(created, operation + " (CreateMultipartUpload)"), "UploadId");
    if (uploadId.empty())
        throw S3Error("S3 " + operation + " failed: CreateMultipartUpload answered no UploadId");

    try {
        ProgressMeter meter(hooks, size);
        std::vector<std::string> etags;
        for (std::uint64_t offset = 0; offset < size; offset += partSize) {
            if (hooks.cancelled && hooks.cancelled())
                throw TransferCancelled();
            const std::string partNumber = std::to_string(etags.size() + 1);
            S3Request part;
            part.method = "PUT";
            part.key = fullKey;
            part.query = {{"partNumber", partNumber}, {"uploadId", uploadId}};
            part.fileDescriptor = fd;
            part.offset = offset;
            part.length = std::min(partSize, size - offset);
            const S3Response response =
                _client.send(part, operation + " (part " + partNumber + ")", meter.forRequestAt(offset));
            const std::string etag = unquoted(response.header("etag").value_or(""));
            if (etag.empty())
                throw S3Error("S3 " + operation + " failed: part " + partNumber + " was answered without an ETag");
            etags.push_back(etag);
            meter.report(offset + part.length, true);
        }
        if (hooks.cancelled && hooks.cancelled())
            throw TransferCancelled();

        S3Request complete;
        complete.method = "POST";
        complete.key = fullKey;
        complete.query = {{"uploadId", uploadId}};
        complete.body = completeMultipartXml(etags);
        complete.contentType = "application/xml";
        const S3Response completed = _client.send(complete, operation + " (CompleteMultipartUpload)");
        const auto result = S3Client::parseAnswer(completed, operation + " (CompleteMultipartUpload)");
        return S3Object{fullKey, unquoted(S3Client::elementText(*result, "ETag")), size, {}};
    } catch (...) {
        S3Request abort;
        abort.method = "DELETE";
        abort.key = fullKey;
        abort.query = {{"uploadId", uploadId}};
        abort.notFoundIsAnswer = true; // already gone: nothing left to clean
        try {
            _client.send(abort, operation + " (AbortMultipartUpload)");
            _logger.information("S3 " + operation + " aborted; its parts were discarded");
        } catch (const std::exception& e) {
            _logger.error(std::string(e.what()) + "; the bucket may keep orphaned parts of upload " + uploadId +
                          " until a lifecycle rule removes them");
        }
        throw;
    }
}

std::optional<S3Object> S3Uploader::head(const std::string& key) const
{
    return headFull(objectKey(key));
}

std::optional<S3Object> S3Uploader::headFull(const std::string& fullKey) const
{
    S3Request request;
    request.method = "HEAD";
    request.key = fullKey;
    request.notFoundIsAnswer = true;
    const S3Response response = _client.send(request, "lookup of " + fullKey);
    if (response.status == 404)
        return std::nullopt;
    S3Object object{fullKey,
                    unquoted(response.header("etag").value_or("")),
                    parseSize(response.header("content-length").value_or(""), "Content-Length"),
                    {}};
    const std::string metaPrefix = "x-amz-meta-";
    for (const auto& [name, value] : response.headers) {
        if (name.compare(0, metaPrefix.size(), metaPrefix) == 0)
            object.metadata[name.substr(metaPrefix.size())] = value;
    }
    return object;
}

std::vector<S3Object> S3Uploader::list(const std::string& prefix, int maxKeys) const
{
    if (maxKeys < 1 || maxKeys > 1000)
        throw std::invalid_argument("max_keys must be between 1 and 1000");
    const std::string fullPrefix = _prefix + confined(prefix, true, true);
    S3Request request;
    request.query = {{"list-type", "2"}, {"max-keys", std::to_string(maxKeys)}};
    if (!fullPrefix.empty())
        request.query.emplace_back("prefix", fullPrefix);
    const std::string operation = "listing of " + (fullPrefix.empty() ? std::string("the bucket") : fullPrefix);
    const auto document = S3Client::parseAnswer(_client.send(request, operation), operation);

    std::vector<S3Object> objects;
    Poco::AutoPtr<Poco::XML::NodeList> contents = document->getElementsByTagName("Contents");
    for (unsigned long i = 0; i < contents->length(); ++i) {
        const auto& entry = *contents->item(i);
        objects.push_back(S3Object{S3Client::elementText(entry, "Key"),
                                   unquoted(S3Client::elementText(entry, "ETag")),
                                   parseSize(S3Client::elementText(entry, "Size"), "object size"),
                                   {}});
    }
    return objects;
}

} // namespace comfygate::modeldownload
