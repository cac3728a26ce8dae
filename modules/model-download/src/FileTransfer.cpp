#include "FileTransfer.h"

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
#include <charconv>
#include <limits>
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

class Cancelled
{
};

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
            download();
            return publish();
        } catch (const Cancelled&) {
            discard();
            throw TransferCancelled();
        } catch (const TransferFailed&) {
            _part.close();
            throw;
        } catch (const std::exception& error) {
            // Disk errors and the like: keep the partial bytes for a later resume.
            _part.close();
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
            if (_file.size >= 0 && keep > _file.size)
                keep = 0;
            _state = *saved;
            hashExistingPrefix(keep);
        } else {
            _state = TransferState::describing(_file);
        }
        checkFreeSpace(keep);
        _part.open(keep);
        _offset = keep;
        saveState();
        _meter.report(_offset, totalBytes(), true);
        _meter.rebase(_offset);
    }

    void hashExistingPrefix(std::int64_t length)
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
            _digest.update(buffer.data(), static_cast<std::size_t>(n));
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
        if (const std::string why = _policy.problem(_current.downloadUrl); !why.empty())
            fail("the download URL was refused: " + why);

        HttpClientRequest request;
        request.url = _current.downloadUrl;
        request.userAgent = _settings.userAgent;
        request.headers.emplace_back("Accept-Encoding", "identity");
        if (!_current.apiKey.empty())
            request.authorization = "Bearer " + _current.apiKey;
        request.credentialHosts = _current.credentialHosts;
        std::string refusedHop;
        request.allowRedirect = [&](const std::string& url) {
            refusedHop = _policy.problem(url);
            return refusedHop.empty();
        };
        request.connectTimeout = _settings.connectTimeout;
        request.stallTime = _settings.stallTimeout;
        request.stallBytesPerSecond = _settings.stallBytesPerSecond;
        request.maxBytes =
            byteLimit() >= 0 ? static_cast<std::uint64_t>(byteLimit()) : std::numeric_limits<std::uint64_t>::max();
        if (_offset > 0) {
            request.rangeFrom = static_cast<std::uint64_t>(_offset);
            if (!_state.etag.empty())
                request.ifRange = "\"" + _state.etag + "\"";
        }
        request.maxAttempts = _settings.maxAttempts;
        request.retryBaseDelay = _settings.retryBaseDelay;
        request.retryMaxDelay = _settings.retryMaxDelay;

        const std::int64_t startOffset = _offset;
        AnswerCheck check;
        request.onResponseHeaders = [&](long status, const std::vector<std::pair<std::string, std::string>>& headers) {
            return acceptAnswer(status, headers, check);
        };

        bool tooLong = false;
        bool cancelled = false;
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
                if (_hooks.cancelled && _hooks.cancelled()) {
                    cancelled = true;
                    return false;
                }
            }
            return true;
        };

        HttpClientResponse response;
        try {
            response = _http.stream(request, sink);
        } catch (const HttpClientError& error) {
            if (cancelled)
                throw Cancelled();
            if (check.html)
                failAndDiscard("the server sent an HTML page instead of " + _finalPath.filename().string() +
                               " (a login or error page): check the API key and that the file may be downloaded");
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
        if (isRetryableStatus(status))
            fail("the server kept answering HTTP " + std::to_string(status) + " (" + std::to_string(response.attempts) +
                 " attempts): try again later");
        fail("the server refused the download of " + _finalPath.filename().string() + " (HTTP " +
             std::to_string(status) + "): " + ResponseText::explanation(errorBody));
    }

    /// Called with the final answer's headers before its body: refuses what must not be
    /// written (an HTML page, a range other than the one asked for, a file of another size),
    /// starts over when the server ignored the Range, and keeps the ETag for If-Range.
    bool acceptAnswer(long status, const std::vector<std::pair<std::string, std::string>>& headers, AnswerCheck& check)
    {
        if (status != 200 && status != 206)
            return true;
        const auto header = [&](const std::string& name) -> std::optional<std::string> {
            for (const auto& [key, value] : headers) {
                if (key == name)
                    return value;
            }
            return std::nullopt;
        };
        if (Poco::toLower(Poco::trim(header("content-type").value_or(""))).rfind("text/html", 0) == 0) {
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
        ResolvedFile fresh;
        try {
            fresh = _hooks.reResolve();
        } catch (const std::exception& error) {
            fail(std::string("the download link expired and resolving it again failed: ") + error.what());
        }
        const bool sameHash = fresh.sha256.empty() || _file.sha256.empty() || fresh.sha256 == _file.sha256;
        const bool sameSize = fresh.size < 0 || _file.size < 0 || fresh.size == _file.size;
        if (!sameHash || !sameSize)
            failAndDiscard("the file changed at the source while it was being downloaded: start the download again");
        _current = fresh;
    }

    void rememberEtag(const std::optional<std::string>& header)
    {
        if (!header)
            return;
        std::string etag = Poco::trim(*header);
        if (etag.rfind("W/", 0) == 0) // weak validators may not be used with If-Range
            return;
        if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
            etag = etag.substr(1, etag.size() - 2);
        if (etag.empty() || etag.find_first_of("\"\r\n") != std::string::npos || etag == _state.etag)
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

    // ---- publishing ----

    FileTransfer::Result publish()
    {
        _part.sync();
        const std::int64_t expected = _file.size >= 0 ? _file.size : _learnedTotal;
        const std::string name = _finalPath.filename().string();
        if (expected >= 0 && _offset != expected)
            failAndDiscard("size mismatch for " + name + ": expected " + std::to_string(expected) + " bytes, got " +
                           std::to_string(_offset) + "; the partial file was removed");
        const std::string sha256 = _digest.sha256Hex();
        if (!_file.sha256.empty() && sha256 != _file.sha256)
            failAndDiscard("SHA-256 mismatch for " + name + ": expected " + _file.sha256 + ", got " + sha256 +
                           "; the partial file was removed");
        const std::string gitSha1 = _digest.gitBlobSha1Hex();
        if (!_file.gitBlobSha1.empty() && !gitSha1.empty() && gitSha1 != _file.gitBlobSha1)
            failAndDiscard("git SHA-1 mismatch for " + name + ": expected " + _file.gitBlobSha1 + ", got " + gitSha1 +
                           "; the partial file was removed");
        _part.close();
        try {
            DurableFile::renameNoReplace(_partPath, _finalPath);
        } catch (const std::exception& error) {
            fail(std::string(error.what()) + " (a file of that name already exists?)");
        }
        DurableFile::syncDirectory(_directory);
        std::error_code ignored;
        fs::remove(_statePath, ignored);
        _meter.report(_offset, _offset, true);
        return {_finalPath, sha256, _offset};
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

    bool isCredentialHost(const std::string& url) const
    {
        const std::string hostAndPort = OutboundUrlPolicy::hostAndPort(url);
        const std::string host = hostAndPort.substr(0, hostAndPort.rfind(':'));
        return std::any_of(_current.credentialHosts.begin(), _current.credentialHosts.end(),
                           [&](const std::string& entry) {
                               const std::string wanted = Poco::toLower(Poco::trim(entry));
                               return wanted == hostAndPort || wanted == host;
                           });
    }

    void pollCancel()
    {
        if (_hooks.cancelled && _hooks.cancelled())
            throw Cancelled();
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
