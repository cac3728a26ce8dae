#include "RequestLog.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <sstream>

namespace comfygate::fakes {

std::string LogEntry::toJsonLine() const
{
    Poco::JSON::Object json(Poco::JSON_PRESERVE_KEY_ORDER);
    json.set("seq", seq);
    json.set("service", service);
    json.set("listener", listener);
    json.set("method", method);
    json.set("host", host);
    json.set("path", path);
    json.set("query", query);
    json.set("range", range);
    json.set("if_range", ifRange);
    json.set("if_none_match", ifNoneMatch);
    json.set("user_agent", userAgent);
    json.set("authorization", authorization);
    json.set("token_in_query", tokenInQuery);
    json.set("status", status);
    json.set("bytes", bytesSent);
    json.set("location", location);
    json.set("complete", complete);
    std::ostringstream out;
    json.stringify(out);
    return out.str();
}

std::uint64_t RequestLog::begin(LogEntry entry)
{
    std::lock_guard lock(_mutex);
    entry.seq = _nextSeq++;
    entry.complete = false;
    _entries.push_back(entry);
    ++_pending;
    return entry.seq;
}

void RequestLog::finish(LogEntry entry)
{
    std::lock_guard lock(_mutex);
    for (auto& stored : _entries) {
        if (stored.seq != entry.seq || stored.complete)
            continue;
        entry.complete = true;
        stored = std::move(entry);
        --_pending;
        _completed.notify_all();
        return;
    }
}

std::vector<LogEntry> RequestLog::entries() const
{
    std::unique_lock lock(_mutex);
    _completed.wait_for(lock, std::chrono::seconds(1), [this] { return _pending == 0; });
    return _entries;
}

std::vector<LogEntry> RequestLog::entries(const std::function<bool(const LogEntry&)>& predicate) const
{
    std::vector<LogEntry> matching;
    for (auto& entry : entries())
        if (predicate(entry))
            matching.push_back(std::move(entry));
    return matching;
}

void RequestLog::clear()
{
    std::unique_lock lock(_mutex);
    _completed.wait_for(lock, std::chrono::seconds(1), [this] { return _pending == 0; });
    std::erase_if(_entries, [](const LogEntry& entry) { return entry.complete; });
}

std::string RequestLog::jsonLines() const
{
    std::string lines;
    for (const auto& entry : entries())
        lines += entry.toJsonLine() + "\n";
    return lines;
}

} // namespace comfygate::fakes
