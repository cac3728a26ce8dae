#pragma once

#include "Fault.h"
#include "RequestLog.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace comfygate::fakes {

class FixtureFile;

/// Wakes sleeping responses (stall, throttle) when the server stops.
class StopSignal
{
public:
    void stop();
    void rearm();
    /// Sleeps up to `duration`; false when the server is stopping.
    bool sleepFor(std::chrono::milliseconds duration);

private:
    std::mutex _mutex;
    std::condition_variable _wake;
    bool _stopping = false;
};

/// One request and its response: raw path and decoded segments, query, credentials, the
/// answer helpers, and the streaming of fixture bytes with the body faults. Fills its
/// LogEntry as it answers.
class FakeExchange
{
public:
    FakeExchange(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, LogEntry& entry,
                 StopSignal& stop);

    const std::string& method() const { return _request.getMethod(); }
    bool isHead() const { return method() == "HEAD"; }
    /// The raw path (percent-encoding kept), without the query.
    const std::string& rawPath() const { return _rawPath; }
    /// The path split at '/', each segment percent-decoded (no empty first segment).
    const std::vector<std::string>& segments() const { return _segments; }
    const std::string& rawQuery() const { return _rawQuery; }
    /// A decoded query parameter (the first of that name).
    std::optional<std::string> query(const std::string& name) const;
    std::string header(const std::string& name) const;
    /// The Bearer token of the Authorization header, "" when there is none.
    std::string bearerToken() const;
    bool hasAuthorization() const { return _request.has("Authorization"); }
    std::string userAgent() const { return header("User-Agent"); }
    std::string clientAddress() const { return _request.clientAddress().host().toString(); }
    std::string readBody();

    Poco::Net::HTTPServerResponse& response() { return _response; }
    void setHeader(const std::string& name, const std::string& value) { _response.set(name, value); }

    /// Sends a complete response (no body for HEAD, but its Content-Length).
    void send(int status, const std::string& contentType, const std::string& body);
    void sendJson(int status, const Poco::JSON::Object::Ptr& json);
    void sendJson(int status, const Poco::Dynamic::Var& json);
    /// `{"error": message}`
    void sendError(int status, const std::string& message);
    void redirect(int status, const std::string& location, const std::string& body = {});
    /// 304 / 204 style: headers only.
    void sendEmpty(int status);

    /// Streams bytes [first, first + length) of `file` with the body faults of `fault`
    /// (truncate_after, stall_after/stall_ms, throttle_bps, bad_content_length, corrupt_at).
    /// Status and the other headers must be set before.
    void sendFileBytes(const FixtureFile& file, std::uint64_t first, std::uint64_t length, const Fault& fault);

    bool answered() const { return _response.sent(); }

private:
    void record(int status);

    Poco::Net::HTTPServerRequest& _request;
    Poco::Net::HTTPServerResponse& _response;
    LogEntry& _entry;
    StopSignal& _stop;
    std::string _rawPath;
    std::string _rawQuery;
    std::vector<std::string> _segments;
    std::vector<std::pair<std::string, std::string>> _query;
};

} // namespace comfygate::fakes
