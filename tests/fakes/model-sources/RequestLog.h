#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace comfygate::fakes {

/// One request as the fake saw it (control routes `/__*` are not recorded).
struct LogEntry
{
    std::uint64_t seq = 0;
    std::string service;  ///< "civitai" | "hf"
    std::string listener; ///< "api" | "storage" (CivitAI R2) | "cdn" (Hugging Face)
    std::string method;
    std::string host; ///< the Host header as sent
    std::string path; ///< raw (not decoded)
    std::string query;
    std::string range;       ///< Range header, "" when absent
    std::string ifRange;     ///< If-Range header
    std::string ifNoneMatch; ///< If-None-Match header
    std::string userAgent;
    bool authorization = false; ///< an Authorization header was present (its value is never logged)
    bool tokenInQuery = false;  ///< a `token=` query parameter was present
    int status = 0;
    std::uint64_t bytesSent = 0; ///< body bytes actually written
    std::string location;        ///< Location header of redirects
    bool complete = false;       ///< false while the response is still being sent

    /// One JSON object on one line (the `GET /__log` format).
    std::string toJsonLine() const;
};

/// The fake's request log. An entry is visible from the moment its request arrives and is
/// completed when its response is finished; readers wait (up to a second) for requests in
/// flight, because a client may see the last byte before the server thread records it.
/// Thread-safe.
class RequestLog
{
public:
    /// Records an arriving request; returns its sequence number.
    std::uint64_t begin(LogEntry entry);
    /// Completes the entry with `entry.seq` (status, bytes, location).
    void finish(LogEntry entry);
    std::vector<LogEntry> entries() const;
    std::vector<LogEntry> entries(const std::function<bool(const LogEntry&)>& predicate) const;
    /// Drops the completed entries (after waiting, like entries(), for requests in flight).
    void clear();
    /// Every entry as JSON lines.
    std::string jsonLines() const;

private:
    mutable std::mutex _mutex;
    mutable std::condition_variable _completed;
    std::vector<LogEntry> _entries;
    std::size_t _pending = 0;
    std::uint64_t _nextSeq = 1;
};

} // namespace comfygate::fakes
