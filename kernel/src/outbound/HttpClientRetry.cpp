#include "HttpClientRetry.h"

#include <Poco/String.h>

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <random>

namespace comfygate {

namespace {

std::mt19937_64& randomEngine()
{
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return engine;
}

} // namespace

bool HttpClientRetry::retryableStatus(long status)
{
    switch (status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
        return true;
    default:
        return false;
    }
}

std::optional<std::chrono::milliseconds>
HttpClientRetry::parseRetryAfter(const std::string& value, const Poco::Timestamp& now)
{
    const std::string trimmed = Poco::trim(value);
    if (trimmed.empty())
        return std::nullopt;

    if (std::all_of(trimmed.begin(), trimmed.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        long long seconds = 0;
        const auto [end, error] =
            std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), seconds);
        // A delta too large for long long is still "a very long time": the caller caps it.
        if (error == std::errc::result_out_of_range || seconds > 1000LL * 1000 * 1000)
            return std::chrono::milliseconds(1000LL * 1000 * 1000 * 1000);
        if (error != std::errc() || end != trimmed.data() + trimmed.size())
            return std::nullopt;
        return std::chrono::milliseconds(seconds * 1000);
    }

    // libcurl's date parser accepts the three HTTP-date forms RFC 9110 requires.
    const time_t date = curl_getdate(trimmed.c_str(), nullptr);
    if (date == -1)
        return std::nullopt;
    const Poco::Timestamp::TimeDiff micros = Poco::Timestamp::fromEpochTime(date) - now;
    return std::chrono::milliseconds(std::max<Poco::Timestamp::TimeDiff>(0, micros / 1000));
}

std::chrono::milliseconds HttpClientRetry::backoff(int failedAttempts,
                                                   std::chrono::milliseconds baseDelay,
                                                   std::chrono::milliseconds maxDelay)
{
    const long long cap = std::max<long long>(0, maxDelay.count());
    long long ceiling = std::max<long long>(0, baseDelay.count());
    for (int i = 1; i < failedAttempts && ceiling < cap; ++i)
        ceiling *= 2;
    ceiling = std::min(ceiling, cap);
    if (ceiling == 0)
        return std::chrono::milliseconds(0);
    std::uniform_int_distribution<long long> distribution(0, ceiling);
    return std::chrono::milliseconds(distribution(randomEngine()));
}

std::chrono::milliseconds HttpClientRetry::delay(int failedAttempts,
                                                 std::chrono::milliseconds baseDelay,
                                                 std::chrono::milliseconds maxDelay,
                                                 const std::optional<std::string>& retryAfter)
{
    if (retryAfter) {
        if (const auto requested = parseRetryAfter(*retryAfter))
            return std::min(*requested, std::max(maxDelay, std::chrono::milliseconds(0)));
    }
    return backoff(failedAttempts, baseDelay, maxDelay);
}

} // namespace comfygate
