#pragma once

#include <Poco/Timestamp.h>

#include <chrono>
#include <optional>
#include <string>

namespace comfygate {

/// When and how long the HTTP client waits before repeating a failed attempt: exponential
/// backoff with full jitter, overridden by a server's `Retry-After`, always capped.
class HttpClientRetry
{
public:
    /// True for the statuses worth repeating: 408, 429, 500, 502, 503, 504.
    static bool retryableStatus(long status);

    /// Parses `Retry-After` (delta-seconds or HTTP-date, relative to `now`); nullopt when
    /// the value is neither. A date in the past gives zero.
    static std::optional<std::chrono::milliseconds>
    parseRetryAfter(const std::string& value, const Poco::Timestamp& now = {});

    /// Full-jitter backoff after `failedAttempts` failures (1 = the first one): a uniformly
    /// random delay in [0, min(maxDelay, baseDelay * 2^(failedAttempts-1))].
    static std::chrono::milliseconds backoff(int failedAttempts,
                                             std::chrono::milliseconds baseDelay,
                                             std::chrono::milliseconds maxDelay);

    /// The delay before the next attempt: `Retry-After` when present and valid, else
    /// backoff(); never more than maxDelay.
    static std::chrono::milliseconds delay(int failedAttempts, std::chrono::milliseconds baseDelay,
                                           std::chrono::milliseconds maxDelay,
                                           const std::optional<std::string>& retryAfter);
};

} // namespace comfygate
