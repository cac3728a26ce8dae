#include "FileTransfer.h"

#include "ByteRanges.h"
#include "DurableFile.h"
#include "FileDigest.h"
#include "OutboundUrlPolicy.h"
#include "ResponseText.h"
#include "SafeFileName.h"
#include "TransferState.h"

#include "comfygate/HttpClient.h"

#include <Poco/String.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <deque>
#include <limits>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace comfygate::modeldownload {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t writeBufferSize = 1 << 20;
constexpr std::size_t errorBodyLimit = 4096;
constexpr int maxResumes = 100; ///< a connection that drops after every few bytes ends some time
constexpr std::int64_t minRangeChunk = 256 << 10;
constexpr std::int64_t maxRangeChunk = 64 << 20;
constexpr std::int64_t rangeRecordStep = 1 << 20; ///< a worker notes its progress in the state this often

std::string megabytes(std::int64_t bytes)
{
    return std::to_string((bytes + 512 * 1024) / (1024 * 1024)) + " MiB";
}

bool isRetryableStatus(long status)
{
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::int64_t parseInt(const std::string& text)
{
    std::int64_t value = -1;
    const std::string trimmed = Poco::trim(text);
    const auto [end, error] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), value);
    return error == std::errc() && end == trimmed.data() + trimmed.size() && value >= 0 ? value : -1;
}

/// `Content-Range: bytes <first>-<last>/<total>` or `bytes */<total>`; -1 for absent parts.
struct ContentRange
{
    std::int64_t first = -1;
    std::int64_t total = -1;

    static ContentRange parse(const std::optional<std::string>& header)
    {
        ContentRange range;
        if (!header)
            return range;
        std::string value = Poco::trim(*header);
        if (Poco::icompare(value.substr(0, 6), "bytes ") != 0)
            return range;
        value = Poco::trim(value.substr(6));
        const auto slash = value.find('/');
        if (slash == std::string::npos)
            return range;
        range.total = parseInt(value.substr(slash + 1));
        const std::string span = value.substr(0, slash);
        const auto dash = span.find('-');
        if (dash != std::string::npos)
            range.first = parseInt(span.substr(0, dash));
        return range;
    }
};

/// The `.part` file: positioned writes through a buffer (the HttpClient hands over small
/// chunks), truncation for restarts, fsync before publishing.
class PartFile
{
public:
    explicit PartFile(fs::path path) : _path(std::move(path)) { _buffer.reserve(writeBufferSize); }
    ~PartFile() { close(); }
    PartFile(const PartFile&) = delete;
    PartFile& operator=(const PartFile&) = delete;

    /// Opens (creating) the file without following a symlink, keeping its first `keep` bytes.
    void open(std::int64_t keep)
    {
        _fd = ::open(_path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (_fd < 0)
            throw DurableFile::systemError("cannot open", _path);
        truncate(keep);
    }

    void append(const char* data, std::size_t size)
    {
        if (_buffer.size() + size > writeBufferSize)
            flush();
        if (size >= writeBufferSize)
            DurableFile::writeAll(_fd, data, size, _path);
        else
            _buffer.insert(_buffer.end(), data, data + size);
    }

    void flush()
    {
        if (_fd >= 0 && !_buffer.empty())
            DurableFile::writeAll(_fd, _buffer.data(), _buffer.size(), _path);
        _buffer.clear();
    }

    void truncate(std::int64_t size)
    {
        _buffer.clear();
        if (::ftruncate(_fd, size) != 0 || ::lseek(_fd, size, SEEK_SET) < 0)
            throw DurableFile::systemError("cannot truncate", _path);
    }

    void sync()
    {
        flush();
        DurableFile::sync(_fd, _path);
    }

    void close()
    {
        if (_fd < 0)
            return;
        try {
            flush();
        } catch (...) {
        }
        ::close(_fd);
        _fd = -1;
    }

private:
    fs::path _path;
    int _fd = -1;
    std::vector<char> _buffer;
};

/// Calls the progress hook at most once per interval, with a smoothed speed.
class ProgressMeter
{
public:
    ProgressMeter(const std::function<void(const TransferProgress&)>& hook, std::chrono::milliseconds interval)
        : _hook(hook), _interval(interval)
    {
    }

    void report(std::int64_t done, std::int64_t total, bool force = false)
    {
        if (!_hook)
            return;
        const auto now = Clock::now();
        if (!_started) {
            _started = true;
            _lastTime = now;
            _lastBytes = done;
        }
        const auto elapsed = std::chrono::duration<double>(now - _lastTime).count();
        if (!force && now - _lastTime < _interval)
            return;
        if (elapsed > 0) {
            const double current = std::max(0.0, double(done - _lastBytes) / elapsed);
            _speed = _speed == 0 ? current : 0.7 * _speed + 0.3 * current;
        }
        _lastTime = now;
        _lastBytes = done;
        TransferProgress progress;
        progress.bytesDone = done;
        progress.totalBytes = total;
        progress.speedBps = _speed;
        _hook(progress);
    }

    /// After a restart from zero or a pause the byte count jumps: do not read that as speed.
    void rebase(std::int64_t done)
    {
        _lastTime = Clock::now();
        _lastBytes = done;
    }

private:
    const std::function<void(const TransferProgress&)>& _hook;
    std::chrono::milliseconds _interval;
    bool _started = false;
    Clock::time_point _lastTime;
    std::int64_t _lastBytes = 0;
    double _speed = 0;
};

/// How a transfer was asked to stop: a pause keeps the partial file, a cancel removes it.
enum class Stop
{
    None,
    Pause,
    Cancel
};

class Cancelled
{
};

class Paused
{
};

/// Why a transfer cannot go on, and whether its partial bytes are worthless.
struct Failure
{
    std::string reason;
    bool discard = false;
};

/// A strong ETag without its quotes; empty for a weak, missing or odd one (If-Range needs strong).
std::string strongEtag(const std::optional<std::string>& header)
{
    if (!header)
        return {};
    std::string etag = Poco::trim(*header);
    if (etag.rfind("W/", 0) == 0)
        return {};
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
        etag = etag.substr(1, etag.size() - 2);
    if (etag.find_first_of("\"\r\n") != std::string::npos)
        return {};
    return etag;
}

std::optional<std::string> findHeader(const std::vector<std::pair<std::string, std::string>>& headers,
                                      const std::string& name)
{
    for (const auto& [key, value] : headers) {
        if (key == name)
            return value;
    }
    return std::nullopt;
}

bool isHtml(const std::vector<std::pair<std::string, std::string>>& headers)
{
    return Poco::toLower(Poco::trim(findHeader(headers, "content-type").value_or(""))).rfind("text/html", 0) == 0;
}

/// pwrite() all of it at `offset`.
void writeAt(int fd, const char* data, std::size_t size, std::int64_t offset, const fs::path& path)
{
    while (size > 0) {
        const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw DurableFile::systemError("cannot write", path);
        data += n;
        size -= static_cast<std::size_t>(n);
        offset += n;
    }
}

/// One run of FileTransfer: the state of a single file's transfer from preparation of the
/// `.part` to publishing.
class TransferSession
{
public:
    TransferSession(HttpClient& http, const FileTransfer::Settings& settings, const ResolvedFile& file,
                    const fs::path& directory, const std::string& finalName, const FileTransfer::Hooks& hooks)
        : _http(http), _settings(settings), _hooks(hooks), _file(file), _current(file), _directory(directory),
          _finalPath(directory / finalName), _partPath(FileTransfer::partPath(directory, finalName)),
          _statePath(FileTransfer::statePath(directory, finalName)), _part(_partPath),
          _digest(file.gitBlobSha1.empty() ? -1 : file.size), _meter(hooks.progress, settings.progressInterval),
          _policy(settings.allowPrivateAddresses), _random(std::random_device{}())
    {
    }

    FileTransfer::Result run()
    {
        try {
            prepare();
            if (!downloadInParallel())
                download();
            return publish();
        } catch (const Paused&) {
            keepForLater();
            throw TransferPaused();
        } catch (const Cancelled&) {
            discard();
            throw TransferCancelled();
        } catch (const TransferFailed&) {
            // A failed job has ended: nothing of it stays in the models folder.
            discard();
            throw;
        } catch (const std::exception& error) {
            discard();
            throw TransferFailed(std::string("download of ") + _finalPath.filename().string() +
                                 " failed: " + error.what());
        }
    }

private:
    // ---- preparation ----

    void prepare()
    {
        const auto saved = TransferState::load(_statePath);
        struct stat info
        {
        };
        const bool partExists = ::lstat(_partPath.c_str(), &info) == 0;
        if (partExists && !S_ISREG(info.st_mode))
            fail("the partial file " + _partPath.string() + " is not a regular file; remove it");
        std::int64_t keep = 0;
        if (partExists && saved && saved->sameFileAs(_file)) {
            keep = static_cast<std::int64_t>(info.st_size);
            _state = *saved;
            if (_state.parallel) {
                _ranges = ByteRanges(_state.ranges);
                if (parallelAllowed() && _state.total >= 0 && keep == _state.total)
                    _resumeParallel = true; // the probe decides whether the ranges still apply
                else
                    keep = std::min(keep, sequentialOnly());
            }
            if (_file.size >= 0 && keep > _file.size)
                keep = 0;
            if (!_resumeParallel)
                hashPart(_digest, keep);
        } else {
            _state = TransferState::describing(_file);
        }
        const std::int64_t have = _resumeParallel ? _ranges.covered() : keep;
        checkFreeSpace(have);
        _part.open(keep);
        _offset = have;
        saveState();
        _meter.report(_offset, totalBytes(), true);
        _meter.rebase(_offset);
    }

    /// Feeds the first `length` bytes of the `.part` to `digest` (a restarted transfer's prefix).
    void hashPart(FileDigest& digest, std::int64_t length)
    {
        const int fd = ::open(_partPath.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            throw DurableFile::systemError("cannot read", _partPath);
        std::vector<char> buffer(writeBufferSize);
        std::int64_t remaining = length;
        while (remaining > 0) {
            pollCancel();
            const ssize_t n = ::read(fd, buffer.data(), std::min<std::int64_t>(remaining, buffer.size()));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                ::close(fd);
                throw DurableFile::systemError("cannot read", _partPath);
            }
            digest.update(buffer.data(), static_cast<std::size_t>(n));
            remaining -= n;
        }
        ::close(fd);
    }

    void checkFreeSpace(std::int64_t have)
    {
        const std::int64_t expected = _file.size >= 0 ? _file.size : _file.sizeHint;
        if (expected < 0)
            return;
        struct statvfs space
        {
        };
        if (::statvfs(_directory.c_str(), &space) != 0)
            return;
        const auto available = static_cast<std::int64_t>(space.f_bavail) * static_cast<std::int64_t>(space.f_frsize);
        const std::int64_t needed = expected - have;
        if (needed > available)
            fail("not enough free space in " + _directory.string() + ": " + megabytes(needed) + " needed, " +
                 megabytes(available) + " available");
    }

    // ---- transfer ----

    void download()
    {
        int failuresInARow = 0;
        int resumes = 0;
        int reResolves = 0;
        while (true) {
            pollCancel();
            const Outcome outcome = attempt();
            switch (outcome.kind) {
            case Outcome::Complete:
                return;
            case Outcome::Dropped:
            case Outcome::Restart:
                // A drop without new bytes means the HttpClient already spent its attempts.
                if (outcome.kind == Outcome::Dropped && !outcome.progressed)
                    fail("download of " + _finalPath.filename().string() + " failed: " + outcome.reason);
                failuresInARow = outcome.progressed ? 1 : failuresInARow + 1;
                if (failuresInARow >= _settings.maxAttempts || ++resumes > maxResumes)
                    fail("download of " + _finalPath.filename().string() + " failed after " + std::to_string(resumes) +
                         " attempts to continue it: " + outcome.reason);
                _part.flush();
                _state.bytes = _offset;
                saveState();
                _meter.report(_offset, totalBytes(), true);
                waitBeforeRetry(failuresInARow);
                break;
            case Outcome::Expired:
                if (!_hooks.reResolve || reResolves >= _settings.maxReResolves)
                    fail("the storage refused the download (" + outcome.reason + ") and no fresh link could be had");
                ++reResolves;
                reResolve();
                break;
            }
        }
    }

    struct Outcome
    {
        enum Kind
        {
            Complete,
            Dropped, ///< connection lost or ended early: resume from _offset
            Restart, ///< the bytes so far were discarded: start again from zero
            Expired  ///< the storage answered 403: ask for a fresh URL and resume
        } kind;
        std::string reason;
        bool progressed = false;
    };

    /// What the headers of the answer said, decided before its body is written.
    struct AnswerCheck
    {
        bool html = false;
        bool wrongRange = false;
        std::int64_t foreignSize = -1; ///< the server's total when it contradicts the source
        bool restartedByServer = false;
    };

    Outcome attempt()
    {
        std::string refusedHop;
        HttpClientRequest request = downloadRequest(_current.downloadUrl, _current, refusedHop);
        request.maxBytes =
            byteLimit() >= 0 ? static_cast<std::uint64_t>(byteLimit()) : std::numeric_limits<std::uint64_t>::max();
        if (_offset > 0) {
            request.rangeFrom = static_cast<std::uint64_t>(_offset);
            if (!_state.etag.empty())
                request.ifRange = "\"" + _state.etag + "\"";
        }

        const std::int64_t startOffset = _offset;
        AnswerCheck check;
        request.onResponseHeaders = [&](long status, const std::vector<std::pair<std::string, std::string>>& headers) {
            return acceptAnswer(status, headers, check);
        };

        bool tooLong = false;
        Stop stop = Stop::None;
        std::string errorBody;
        auto lastCancelPoll = Clock::now();
        const HttpClient::Sink sink = [&](long status, const char* data, std::size_t size) {
            if (status != 200 && status != 206) {
                errorBody.append(data, std::min(size, errorBodyLimit - std::min(errorBody.size(), errorBodyLimit)));
                return true;
            }
            const std::int64_t limit = byteLimit();
            if (limit >= 0 && _offset + static_cast<std::int64_t>(size) > limit) {
                tooLong = true;
                return false;
            }
            _part.append(data, size);
            _digest.update(data, size);
            _offset += static_cast<std::int64_t>(size);
            _meter.report(_offset, totalBytes());
            const auto now = Clock::now();
            if (now - lastCancelPoll >= std::chrono::milliseconds(100)) {
                lastCancelPoll = now;
                stop = stopRequested();
                if (stop != Stop::None)
                    return false;
            }
            return true;
        };

        HttpClientResponse response;
        try {
            response = _http.stream(request, sink);
        } catch (const HttpClientError& error) {
            if (stop == Stop::Pause)
                throw Paused();
            if (stop == Stop::Cancel)
                throw Cancelled();
            if (check.html)
                failAndDiscard(htmlPageReason());
            if (check.foreignSize >= 0)
                failAndDiscard("the server has " + std::to_string(check.foreignSize) + " bytes of " +
                               _finalPath.filename().string() + " but the source said " + std::to_string(_file.size));
            if (check.wrongRange) {
                restartFromZero();
                return {Outcome::Restart, "the server answered a different byte range than asked for"};
            }
            if (tooLong)
                failAndDiscard("the server sent more than the expected " + std::to_string(byteLimit()) + " bytes for " +
                               _finalPath.filename().string());
            if (!refusedHop.empty())
                fail("a redirect of the download was refused: " + refusedHop);
            if (error.retryable())
                return {Outcome::Dropped, error.what(), _offset > startOffset || check.restartedByServer};
            fail(std::string("download of ") + _finalPath.filename().string() + " failed: " + error.what());
        }

        const long status = response.status;
        if (status == 200 || status == 206) {
            const std::int64_t expected = _file.size >= 0 ? _file.size : _learnedTotal;
            if (expected >= 0 && _offset < expected)
                return {Outcome::Dropped,
                        "the connection ended after " + std::to_string(_offset) + " of " + std::to_string(expected) +
                            " bytes",
                        _offset > startOffset};
            return {Outcome::Complete, {}};
        }
        if (status == 416)
            return rangeNotSatisfiable(response);
        if (status == 403 && !isCredentialHost(response.finalUrl))
            return {Outcome::Expired, "HTTP 403: " + ResponseText::explanation(errorBody)};
        fail(statusReason(response, errorBody));
    }

    std::string htmlPageReason() const
    {
        return "the server sent an HTML page instead of " + _finalPath.filename().string() +
               " (a login or error page): check the API key and that the file may be downloaded";
    }

    /// An error status that the HttpClient's retries did not turn into the file.
    std::string statusReason(const HttpClientResponse& response, const std::string& errorBody) const
    {
        const std::string status = std::to_string(response.status);
        if (isRetryableStatus(response.status))
            return "the server kept answering HTTP " + status + " (" + std::to_string(response.attempts) +
                   " attempts): try again later";
        return "the server refused the download of " + _finalPath.filename().string() + " (HTTP " + status +
               "): " + ResponseText::explanation(errorBody);
    }

    /// Called with the final answer's headers before its body: refuses what must not be
    /// written (an HTML page, a range other than the one asked for, a file of another size),
    /// starts over when the server ignored the Range, and keeps the ETag for If-Range.
    bool acceptAnswer(long status, const std::vector<std::pair<std::string, std::string>>& headers, AnswerCheck& check)
    {
        if (status != 200 && status != 206)
            return true;
        const auto header = [&](const std::string& name) { return findHeader(headers, name); };
        if (isHtml(headers)) {
            check.html = true;
            return false;
        }
        std::int64_t total = -1;
        if (status == 206) {
            const ContentRange range = ContentRange::parse(header("content-range"));
            if (range.first != _offset) {
                check.wrongRange = true;
                return false;
            }
            total = range.total;
        } else {
            if (_offset > 0) { // the server ignored the Range (or the If-Range did not match)
                restartFromZero();
                check.restartedByServer = true;
            }
            total = parseInt(header("content-length").value_or(""));
        }
        if (total >= 0) {
            if (_file.size >= 0 && total != _file.size) {
                check.foreignSize = total;
                return false;
            }
            _learnedTotal = total;
        }
        rememberEtag(header("etag"));
        return true;
    }

    /// A GET of `url` as every hop must be made: checked against the address policy, the
    /// key only for `via`'s credential hosts, redirects checked hop by hop (a refused one is
    /// named in `refusedHop`), stall detection and the HttpClient's retries.
    HttpClientRequest downloadRequest(const std::string& url, const ResolvedFile& via, std::string& refusedHop)
    {
        if (const std::string why = _policy.problem(url); !why.empty())
            fail("the download URL was refused: " + why);
        HttpClientRequest request;
        request.url = url;
        request.userAgent = _settings.userAgent;
        request.headers.emplace_back("Accept-Encoding", "identity");
        if (!via.apiKey.empty())
            request.authorization = "Bearer " + via.apiKey;
        request.credentialHosts = via.credentialHosts;
        request.allowRedirect = [this, &refusedHop](const std::string& hop) {
            refusedHop = _policy.problem(hop);
            return refusedHop.empty();
        };
        if (!_settings.allowPrivateAddresses) // the address really connected to, not only the name
            request.allowAddress = [](const sockaddr& address) { return OutboundUrlPolicy::isPublicAddress(address); };
        request.connectTimeout = _settings.connectTimeout;
        request.stallTime = _settings.stallTimeout;
        request.stallBytesPerSecond = _settings.stallBytesPerSecond;
        request.maxAttempts = _settings.maxAttempts;
        request.retryBaseDelay = _settings.retryBaseDelay;
        request.retryMaxDelay = _settings.retryMaxDelay;
        return request;
    }

    Outcome rangeNotSatisfiable(const HttpClientResponse& response)
    {
        const ContentRange range = ContentRange::parse(response.header("content-range"));
        const std::int64_t expected = _file.size >= 0 ? _file.size : range.total;
        if (_offset > 0 && range.total >= 0 && expected == range.total && _offset == range.total) {
            _learnedTotal = range.total; // everything is here already: verify it
            return {Outcome::Complete, {}};
        }
        restartFromZero();
        return {Outcome::Restart, "the server could not serve the rest of the partial file"};
    }

    void reResolve()
    {
        if (const auto failure = renewResolution())
            failure->discard ? failAndDiscard(failure->reason) : fail(failure->reason);
    }

    /// Asks the source for a fresh link (`_current`); what went wrong, if anything.
    std::optional<Failure> renewResolution()
    {
        ResolvedFile fresh;
        try {
            fresh = _hooks.reResolve();
        } catch (const std::exception& error) {
            return Failure{std::string("the download link expired and resolving it again failed: ") + error.what()};
        }
        const bool sameHash = fresh.sha256.empty() || _file.sha256.empty() || fresh.sha256 == _file.sha256;
        const bool sameSize = fresh.size < 0 || _file.size < 0 || fresh.size == _file.size;
        if (!sameHash || !sameSize)
            return Failure{"the file changed at the source while it was being downloaded: start the download again",
                           true};
        _current = fresh;
        return std::nullopt;
    }

    void rememberEtag(const std::optional<std::string>& header)
    {
        const std::string etag = strongEtag(header);
        if (etag.empty() || etag == _state.etag)
            return;
        _state.etag = etag;
        _part.flush();
        _state.bytes = _offset;
        saveState();
    }

    void restartFromZero()
    {
        _part.truncate(0);
        _digest = FileDigest(_file.gitBlobSha1.empty() ? -1 : _file.size);
        _offset = 0;
        _meter.rebase(0);
    }

    void waitBeforeRetry(int failures)
    {
        const auto ceiling = std::min<long long>(_settings.retryMaxDelay.count(), _settings.retryBaseDelay.count()
                                                                                      << std::min(failures - 1, 20));
        std::uniform_int_distribution<long long> jitter(0, std::max<long long>(0, ceiling));
        const auto until = Clock::now() + std::chrono::milliseconds(jitter(_random));
        while (Clock::now() < until) {
            pollCancel();
            std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(50), until - Clock::now()));
        }
        _meter.rebase(_offset);
    }

    // ---- parallel ranges ----

    bool parallelAllowed() const { return _settings.parallelConnections > 1; }

    /// A parallel part continued one connection at a time keeps only its run from byte 0.
    std::int64_t sequentialOnly()
    {
        const std::int64_t prefix = _ranges.prefix();
        _ranges = ByteRanges();
        _resumeParallel = false;
        _state.parallel = false;
        _state.total = -1;
        _state.ranges.clear();
        return prefix;
    }

    /// What a `Range: bytes=0-0` answer said about the file.
    struct RangeProbe
    {
        std::string url; ///< where the redirects ended: the storage/CDN link the workers use
        std::int64_t total = -1;
        std::string etag;
    };

    /// Asks for the first byte. A 206 with `Content-Range: bytes 0-0/<total>` from an
    /// allowed host means the server serves ranges; anything else (200, an error, HTML)
    /// means one connection, which also gives the proper error.
    std::optional<RangeProbe> probeRanges()
    {
        std::string refusedHop;
        HttpClientRequest request = downloadRequest(_current.downloadUrl, _current, refusedHop);
        request.headers.emplace_back("Range", "bytes=0-0");
        request.maxBytes = 64 * 1024; // also caps the small bodies of the redirects on the way
        std::optional<RangeProbe> probe;
        request.onResponseHeaders = [&](long status, const std::vector<std::pair<std::string, std::string>>& headers) {
            if (status == 200) // the Range was ignored: do not let the whole file come
                return false;
            if (status != 206 || isHtml(headers))
                return status != 206;
            const ContentRange range = ContentRange::parse(findHeader(headers, "content-range"));
            if (range.first == 0 && range.total > 0)
                probe = RangeProbe{{}, range.total, strongEtag(findHeader(headers, "etag"))};
            return true;
        };
        try {
            const HttpClientResponse response =
                _http.stream(request, [](long, const char*, std::size_t) { return true; });
            if (response.status != 206 || !probe || !_policy.problem(response.finalUrl).empty())
                return std::nullopt;
            probe->url = response.finalUrl;
        } catch (const HttpClientError&) {
            return std::nullopt;
        }
        return probe;
    }

    /// Returns false when the file is to be fetched over one connection instead.
    bool downloadInParallel()
    {
        const std::int64_t expected = _file.size >= 0 ? _file.size : _file.sizeHint;
        if (!parallelAllowed() || expected < _settings.parallelMinBytes || (_offset > 0 && !_resumeParallel)) {
            leaveParallel(); // small (now), or a sequential part to continue
            return false;
        }
        pollCancel();
        const auto probe = probeRanges();
        const bool sizeFits = probe && (_file.size >= 0 ? probe->total == _file.size : probe->total <= byteLimit());
        if (!sizeFits) {
            leaveParallel();
            return false;
        }
        if (_resumeParallel && (probe->total != _state.total || probe->etag != _state.etag))
            _ranges = ByteRanges(); // another version of the file is served now
        _learnedTotal = probe->total;
        _state.parallel = true;
        _state.total = probe->total;
        _state.etag = probe->etag;
        _state.ranges = _ranges.list();
        _state.bytes = _ranges.covered();
        checkFreeSpace(_ranges.covered());
        _part.truncate(probe->total); // full size up front; the holes are sparse
        saveState();
        _offset = _ranges.covered();
        _meter.rebase(_offset);

        if (!runWorkers(*probe)) { // the server stopped honouring ranges: one connection, from zero
            _resumeParallel = false;
            sequentialOnly();
            restartFromZero();
            saveState();
            download();
        }
        return true;
    }

    /// The probe said no to a part left by a parallel run: continue it sequentially.
    void leaveParallel()
    {
        if (!_resumeParallel)
            return;
        std::int64_t keep = sequentialOnly();
        if (_file.size >= 0)
            keep = std::min(keep, _file.size);
        _part.truncate(keep);
        _digest = FileDigest(_file.gitBlobSha1.empty() ? -1 : _file.size);
        hashPart(_digest, keep);
        _offset = keep;
        _state.bytes = _offset;
        saveState();
        _meter.rebase(_offset);
    }

    /// What the workers of one parallel transfer share.
    struct ParallelRun
    {
        std::mutex mutex;
        std::deque<ByteRange> work; ///< pieces nobody has taken yet
        std::int64_t total = 0;
        std::string url; ///< the storage link from the last probe
        ResolvedFile via;
        std::string etag;
        int generation = 0; ///< bumped when the link is renewed
        int reResolves = 0;
        std::atomic<bool> stop{false};
        std::atomic<Stop> stopKind{Stop::None};
        bool fallback = false;
        std::optional<Failure> failure;
        std::atomic<std::int64_t> done{0};
        Clock::time_point lastSave = Clock::now();
    };

    /// Fetches the missing ranges with up to parallelConnections workers. Returns false
    /// when the server answered a range with something else (the caller starts over).
    bool runWorkers(const RangeProbe& probe)
    {
        const std::int64_t missing = probe.total - _ranges.covered();
        const int connections = _settings.parallelConnections;
        const std::int64_t chunk =
            std::clamp<std::int64_t>((missing + connections - 1) / connections, minRangeChunk, maxRangeChunk);
        ParallelRun run;
        const auto pieces = _ranges.missing(probe.total, chunk);
        run.work.assign(pieces.begin(), pieces.end());
        run.total = probe.total;
        run.url = probe.url;
        run.via = _current;
        run.etag = probe.etag;
        run.done = _ranges.covered();

        const auto workers = std::min<std::size_t>(static_cast<std::size_t>(connections), run.work.size());
        std::vector<std::thread> threads;
        threads.reserve(workers);
        for (std::size_t i = 0; i < workers; ++i)
            threads.emplace_back([this, &run] { worker(run); });
        for (auto& thread : threads)
            thread.join();

        _state.ranges = _ranges.list();
        _state.bytes = _ranges.covered();
        _offset = _ranges.covered();
        if (run.stopKind != Stop::Pause && run.stopKind != Stop::Cancel && !run.fallback) {
            _part.sync(); // a pause saves in keepForLater, a cancel removes it
            saveState();
        }
        if (run.stopKind == Stop::Pause)
            throw Paused();
        if (run.stopKind == Stop::Cancel)
            throw Cancelled();
        if (run.failure) {
            if (run.failure->discard)
                failAndDiscard(run.failure->reason);
            fail(run.failure->reason);
        }
        if (run.fallback)
            return false;
        if (_offset != probe.total) // every piece was taken; one that ended early would have failed
            fail("download of " + _finalPath.filename().string() + " ended with " + std::to_string(_offset) + " of " +
                 std::to_string(probe.total) + " bytes");
        _meter.report(_offset, probe.total, true);
        return true;
    }

    void worker(ParallelRun& run)
    {
        const int fd = ::open(_partPath.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        try {
            if (fd < 0)
                throw DurableFile::systemError("cannot open", _partPath);
            while (!run.stop) {
                ByteRange piece;
                {
                    std::lock_guard lock(run.mutex);
                    if (run.work.empty())
                        break;
                    piece = run.work.front();
                    run.work.pop_front();
                }
                fetchRange(run, fd, piece);
            }
        } catch (const Failure& failure) {
            giveUp(run, failure);
        } catch (const std::exception& error) {
            giveUp(run, Failure{"download of " + _finalPath.filename().string() + " failed: " + error.what()});
        }
        if (fd >= 0)
            ::close(fd);
    }

    void giveUp(ParallelRun& run, const Failure& failure)
    {
        std::lock_guard lock(run.mutex);
        if (!run.failure)
            run.failure = failure;
        run.stop = true;
    }

    /// True when the run must end (another worker failed, or a pause or cancel was asked).
    bool shouldStop(ParallelRun& run) const
    {
        if (run.stop)
            return true;
        const Stop stop = stopRequested();
        if (stop == Stop::None)
            return false;
        run.stopKind = stop;
        run.stop = true;
        return true;
    }

    /// One piece [begin, end) with `Range: bytes=begin-(end-1)` on the storage link, written
    /// at its offset; a dropped connection continues where it stopped, an expired link is
    /// renewed (once for all workers).
    void fetchRange(ParallelRun& run, int fd, const ByteRange piece)
    {
        std::int64_t position = piece.begin;
        std::int64_t recorded = piece.begin;
        const auto record = [&](bool save) {
            std::lock_guard lock(run.mutex);
            if (position > recorded)
                _ranges.add({recorded, position});
            recorded = position;
            saveRanges(run, fd, save);
        };
        int resumes = 0;
        while (position < piece.end) {
            if (shouldStop(run))
                return record(false);
            std::string url;
            ResolvedFile via;
            int generation = 0;
            {
                std::lock_guard lock(run.mutex);
                url = run.url;
                via = run.via;
                generation = run.generation;
            }
            if (!isCredentialHost(url, via.credentialHosts))
                via.apiKey.clear(); // a storage or CDN link never sees the key
            std::string refusedHop;
            HttpClientRequest request;
            try {
                request = downloadRequest(url, via, refusedHop);
            } catch (const TransferFailed& refused) {
                throw Failure{refused.what()};
            }
            request.headers.emplace_back("Range",
                                         "bytes=" + std::to_string(position) + "-" + std::to_string(piece.end - 1));
            if (!run.etag.empty())
                request.headers.emplace_back("If-Range", "\"" + run.etag + "\"");
            request.maxBytes = static_cast<std::uint64_t>(piece.end - position);

            bool html = false;
            bool notThatRange = false;
            request.onResponseHeaders = [&](long status,
                                            const std::vector<std::pair<std::string, std::string>>& headers) {
                if (status == 200) { // Range ignored, or If-Range no longer matches
                    notThatRange = true;
                    return false;
                }
                if (status != 206)
                    return true;
                if (isHtml(headers)) {
                    html = true;
                    return false;
                }
                const ContentRange range = ContentRange::parse(findHeader(headers, "content-range"));
                notThatRange = range.first != position || range.total != run.total;
                return !notThatRange;
            };
            const std::int64_t start = position;
            std::string errorBody;
            auto lastPoll = Clock::now();
            const HttpClient::Sink sink = [&](long status, const char* data, std::size_t size) {
                if (status != 206) {
                    errorBody.append(data, std::min(size, errorBodyLimit - std::min(errorBody.size(), errorBodyLimit)));
                    return true;
                }
                writeAt(fd, data, size, position, _partPath);
                position += static_cast<std::int64_t>(size);
                run.done += static_cast<std::int64_t>(size);
                if (position - recorded >= rangeRecordStep)
                    record(false);
                if (std::unique_lock lock(run.mutex, std::try_to_lock); lock)
                    _meter.report(run.done, run.total);
                const auto now = Clock::now();
                if (now - lastPoll >= std::chrono::milliseconds(100)) {
                    lastPoll = now;
                    if (shouldStop(run))
                        return false;
                }
                return !run.stop;
            };

            HttpClientResponse response;
            try {
                response = _http.stream(request, sink);
            } catch (const HttpClientError& error) {
                record(false);
                if (run.stop)
                    return;
                if (html)
                    throw Failure{htmlPageReason(), true};
                if (notThatRange)
                    return startOver(run);
                if (!refusedHop.empty())
                    throw Failure{"a redirect of the download was refused: " + refusedHop};
                // No new byte means the HttpClient already spent its attempts.
                if (!error.retryable() || position == start || ++resumes > maxResumes)
                    throw Failure{"download of " + _finalPath.filename().string() + " failed (bytes " +
                                  std::to_string(position) + "-" + std::to_string(piece.end - 1) +
                                  "): " + error.what()};
                pauseBeforeResume(run);
                continue;
            }
            record(position == piece.end);
            const long status = response.status;
            if (status == 206) {
                if (position < piece.end && (position == start || ++resumes > maxResumes))
                    throw Failure{"download of " + _finalPath.filename().string() + " kept ending early at byte " +
                                  std::to_string(position)};
                if (position < piece.end)
                    pauseBeforeResume(run);
                continue;
            }
            if (status == 416)
                return startOver(run);
            if (status == 403 && !isCredentialHost(response.finalUrl, via.credentialHosts)) {
                renewLink(run, generation);
                continue;
            }
            throw Failure{statusReason(response, errorBody)};
        }
    }

    void startOver(ParallelRun& run)
    {
        std::lock_guard lock(run.mutex);
        run.fallback = true;
        run.stop = true;
    }

    /// Notes the recorded ranges in the state file, at most once a second unless `now`;
    /// the part's data is made durable first, so the state never claims bytes a power cut
    /// could lose. Called with run.mutex held.
    void saveRanges(ParallelRun& run, int fd, bool now)
    {
        const auto at = Clock::now();
        if (run.stop || (!now && at - run.lastSave < std::chrono::seconds(1)))
            return;
        run.lastSave = at;
        try {
            if (::fdatasync(fd) != 0)
                return;
            _state.ranges = _ranges.list();
            _state.bytes = _ranges.covered();
            saveState();
        } catch (const std::exception&) {
            // The next save (or the final one) tries again.
        }
    }

    /// A storage 403 (expired link): the first worker to see it asks the source for a fresh
    /// link and probes it; the others then use that one.
    void renewLink(ParallelRun& run, int generation)
    {
        std::lock_guard lock(run.mutex);
        if (run.generation != generation)
            return;
        if (!_hooks.reResolve || run.reResolves >= _settings.maxReResolves)
            throw Failure{"the storage refused the download (HTTP 403) and no fresh link could be had"};
        ++run.reResolves;
        if (auto failure = renewResolution())
            throw *failure;
        const auto probe = probeRanges();
        if (!probe || probe->total != run.total) {
            run.fallback = true;
            run.stop = true;
            return;
        }
        run.url = probe->url;
        run.via = _current;
        ++run.generation;
    }

    /// A capped full-jitter wait before a worker continues its piece, cut short by a stop.
    void pauseBeforeResume(ParallelRun& run) const
    {
        thread_local std::mt19937_64 random(std::random_device{}());
        std::uniform_int_distribution<long long> jitter(0, std::max<long long>(0, _settings.retryBaseDelay.count()));
        const auto until = Clock::now() + std::chrono::milliseconds(jitter(random));
        while (Clock::now() < until && !shouldStop(run))
            std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(50), until - Clock::now()));
    }

    // ---- publishing ----

    FileTransfer::Result publish()
    {
        _part.sync();
        if (_state.parallel) { // the ranges arrived out of order: hash the whole file once
            FileDigest whole(_file.gitBlobSha1.empty() ? -1 : _offset);
            hashPart(whole, _offset);
            _digest = whole;
        }
        const std::int64_t expected = _file.size >= 0 ? _file.size : _learnedTotal;
        const std::string name = _finalPath.filename().string();
        if (expected >= 0 && _offset != expected)
            failAndDiscard("size mismatch for " + name + ": expected " + std::to_string(expected) + " bytes, got " +
                           std::to_string(_offset) + "; the partial file was removed");
        const std::string sha256 = _digest.sha256Hex();
        if (!_file.sha256.empty() && sha256 != _file.sha256)
            failAndDiscard("SHA-256 mismatch for " + name + ": expected " + _file.sha256 + ", got " + sha256 +
                           "; the partial file was removed");
        std::string gitSha1 = _digest.gitBlobSha1Hex();
        if (!_file.gitBlobSha1.empty() && gitSha1.empty()) { // the size was not known up front
            FileDigest whole(_offset);
            hashPart(whole, _offset);
            gitSha1 = whole.gitBlobSha1Hex();
        }
        if (!_file.gitBlobSha1.empty() && gitSha1 != _file.gitBlobSha1)
            failAndDiscard("git SHA-1 mismatch for " + name + ": expected " + _file.gitBlobSha1 + ", got " + gitSha1 +
                           "; the partial file was removed");
        _part.close();
        try {
            DurableFile::renameNoReplace(_partPath, _finalPath);
        } catch (const std::exception& error) {
            if (!finalFileHolds(sha256))
                fail(std::string(error.what()) + " (a different file of that name already exists?)");
            // The very file is already published (by an earlier run of this job): done.
            discard();
        }
        DurableFile::syncDirectory(_directory);
        std::error_code ignored;
        fs::remove(_statePath, ignored);
        _meter.report(_offset, _offset, true);
        return {_finalPath, sha256, _offset};
    }

    /// Publishing is idempotent: the final name may already hold exactly these bytes.
    bool finalFileHolds(const std::string& sha256) const
    {
        std::error_code error;
        const auto size = fs::file_size(_finalPath, error);
        return !error && static_cast<std::int64_t>(size) == _offset && FileDigest::sha256OfFile(_finalPath.string()) == sha256;
    }

    // ---- helpers ----

    /// The most bytes the file may have: its size, else a margin above CivitAI's estimate.
    std::int64_t byteLimit() const
    {
        if (_file.size >= 0)
            return _file.size;
        if (_learnedTotal >= 0)
            return _learnedTotal;
        if (_file.sizeHint >= 0)
            return _file.sizeHint + std::max<std::int64_t>(1 << 20, _file.sizeHint / 100);
        return -1;
    }

    std::int64_t totalBytes() const
    {
        if (_file.size >= 0)
            return _file.size;
        return _learnedTotal >= 0 ? _learnedTotal : _file.sizeHint;
    }

    bool isCredentialHost(const std::string& url) const { return isCredentialHost(url, _current.credentialHosts); }

    static bool isCredentialHost(const std::string& url, const std::vector<std::string>& credentialHosts)
    {
        const std::string hostAndPort = OutboundUrlPolicy::hostAndPort(url);
        const std::string host = hostAndPort.substr(0, hostAndPort.rfind(':'));
        return std::any_of(credentialHosts.begin(), credentialHosts.end(), [&](const std::string& entry) {
            const std::string wanted = Poco::toLower(Poco::trim(entry));
            return wanted == hostAndPort || wanted == host;
        });
    }

    Stop stopRequested() const
    {
        if (_hooks.paused && _hooks.paused())
            return Stop::Pause;
        if (_hooks.cancelled && _hooks.cancelled())
            return Stop::Cancel;
        return Stop::None;
    }

    void pollCancel()
    {
        switch (stopRequested()) {
        case Stop::Pause:
            throw Paused();
        case Stop::Cancel:
            throw Cancelled();
        case Stop::None:
            break;
        }
    }

    /// Paused: the bytes so far and a state that describes them stay for the next run.
    void keepForLater()
    {
        try {
            _part.sync(); // the state must not claim bytes that are not on disk
            if (!_state.parallel)
                _state.bytes = _offset;
            saveState();
        } catch (const std::exception&) {
            // The next run re-checks the part against the state; at worst it starts over.
        }
        _part.close();
    }

    void saveState() { _state.save(_statePath); }

    [[noreturn]] void fail(const std::string& reason) { throw TransferFailed(reason); }

    [[noreturn]] void failAndDiscard(const std::string& reason)
    {
        discard();
        throw TransferFailed(reason);
    }

    void discard()
    {
        _part.close();
        std::error_code ignored;
        fs::remove(_partPath, ignored);
        fs::remove(_statePath, ignored);
    }

    HttpClient& _http;
    const FileTransfer::Settings& _settings;
    const FileTransfer::Hooks& _hooks;
    const ResolvedFile& _file;
    ResolvedFile _current;
    fs::path _directory;
    fs::path _finalPath;
    fs::path _partPath;
    fs::path _statePath;
    PartFile _part;
    FileDigest _digest;
    ProgressMeter _meter;
    OutboundUrlPolicy _policy;
    TransferState _state;
    ByteRanges _ranges;           ///< parallel: what the .part already holds
    bool _resumeParallel = false; ///< the .part came from a parallel transfer and may be continued so
    std::int64_t _offset = 0;
    std::int64_t _learnedTotal = -1;
    std::mt19937_64 _random;
};

} // namespace

fs::path FileTransfer::partPath(const fs::path& directory, const std::string& finalName)
{
    return directory / (finalName + ".part");
}

fs::path FileTransfer::statePath(const fs::path& directory, const std::string& finalName)
{
    return directory / (finalName + ".part.json");
}

fs::path FileTransfer::run(const ResolvedFile& file, const fs::path& directory, const std::string& finalName,
                           const Hooks& hooks)
{
    return transfer(file, directory, finalName, hooks).path;
}

FileTransfer::Result FileTransfer::transfer(const ResolvedFile& file, const fs::path& directory,
                                            const std::string& finalName, const Hooks& hooks)
{
    if (const std::string why = SafeFileName::problem(finalName); !why.empty())
        throw TransferFailed("refused file name: " + why);
    std::error_code error;
    fs::create_directories(directory, error);
    struct stat info
    {
    };
    if (::stat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
        throw TransferFailed("the target folder " + directory.string() + " does not exist and cannot be created");
    if (::lstat((directory / finalName).c_str(), &info) == 0)
        throw TransferFailed(finalName + " already exists in " + directory.string());
    TransferSession session(_http, _settings, file, directory, finalName, hooks);
    return session.run();
}

} // namespace comfygate::modeldownload
