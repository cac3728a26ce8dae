#pragma once

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <cstdint>
#include <string>

namespace comfygate::auth {

/// Unix seconds as ISO 8601 UTC ("2026-11-22T08:00:00Z"); empty for 0 (never).
inline std::string isoTime(std::int64_t seconds)
{
    if (seconds == 0)
        return {};
    return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(seconds)),
                                           Poco::DateTimeFormat::ISO8601_FORMAT);
}

} // namespace comfygate::auth
