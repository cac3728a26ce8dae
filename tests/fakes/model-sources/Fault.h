#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace comfygate::fakes {

/// A misbehaviour to inject, per target (a file key, a route name such as `civitai.download`,
/// a service name `civitai` / `hf`, or `*`). Unset fields do not apply; when several targets
/// match a request, the more specific one (file key > route > service > `*`) wins field by field.
struct Fault
{
    // Every field is `{}`-initialised so that tests may name only the ones they set
    // (Fault{.corruptAt = 1000}) without -Wmissing-field-initializers.
    std::optional<int> failFirstN{};     ///< the next N matching requests fail...
    std::optional<int> failStatus{};     ///< ...with this status (default 503)
    std::optional<int> retryAfter{};     ///< seconds, sent as Retry-After on those failures
    std::optional<int> ratelimitReset{}; ///< seconds, HF `RateLimit: "resolvers";r=0;t=N`
    std::optional<std::uint64_t>
        truncateAfter{};                        ///< file offset where the socket is closed (a resume past it succeeds)
    std::optional<std::uint64_t> stallAfter{};  ///< file offset where sending pauses...
    std::optional<int> stallMs{};               ///< ...this long (socket kept open), then the rest
    std::optional<std::uint64_t> throttleBps{}; ///< body bytes per second
    std::optional<bool> ignoreRange{};          ///< answer Range requests with 200 and the full body
    std::optional<std::uint64_t> badContentLength{}; ///< declare this Content-Length, send the real body
    std::optional<std::uint64_t> corruptAt{};        ///< flip the byte at this file offset
    std::optional<double> expireAfterS{};            ///< signed URLs older than this are refused (403)
    std::optional<bool> htmlForBrowserUa{}; ///< CivitAI download: browser UAs without a token get the login HTML
    std::optional<bool> requireUa{};        ///< 403 (WAF) for an empty or Python-urllib User-Agent

    /// Reads the snake_case keys of `POST /__faults` (fail_first_n, fail_status, retry_after,
    /// ratelimit_reset, truncate_after, stall_after, stall_ms, throttle_bps, ignore_range,
    /// bad_content_length, corrupt_at, expire_after_s, html_for_browser_ua, require_ua).
    /// Throws std::invalid_argument on unknown keys or wrong types.
    static Fault fromJson(const Poco::JSON::Object& json);
    Poco::JSON::Object::Ptr toJson() const;
    /// This fault with every field that `specific` sets taken from `specific`.
    Fault overriddenBy(const Fault& specific) const;
};

/// The faults currently set and the countdown of their `fail_first_n`. Thread-safe.
class FaultTable
{
public:
    void set(const std::string& target, const Fault& fault);
    void clear(const std::string& target);
    void clearAll();

    /// The merged fault for a request on `route` of `service`, about file `fileKey` (may be "").
    Fault effective(const std::string& service, const std::string& route, const std::string& fileKey) const;
    /// Consumes one `fail_first_n` from the most specific matching target that has some left;
    /// returns that target's fault (with its status) or nothing when the request should pass.
    std::optional<Fault> takeFailure(const std::string& service, const std::string& route, const std::string& fileKey);
    Poco::JSON::Object::Ptr toJson() const;

private:
    mutable std::mutex _mutex;
    std::map<std::string, Fault> _faults;
    std::map<std::string, int> _failuresLeft;
};

} // namespace comfygate::fakes
