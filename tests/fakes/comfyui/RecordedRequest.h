#pragma once

#include <Poco/String.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace comfygate::fakes {

/// One request as the fake received it, for tests that assert what a gateway forwarded.
struct RecordedRequest
{
    std::string method;
    std::string uri;                                          ///< raw request target, undecoded
    std::vector<std::pair<std::string, std::string>> headers; ///< as received, in order
    std::uint64_t bodySize = 0;
    std::string body; ///< the first MiB of the body

    /// The first header of that name (case-insensitive), or "" when absent.
    std::string header(const std::string& name) const
    {
        for (const auto& [key, value] : headers)
            if (Poco::icompare(key, name) == 0) return value;
        return {};
    }
    bool hasHeader(const std::string& name) const
    {
        for (const auto& [key, value] : headers)
            if (Poco::icompare(key, name) == 0) return true;
        return false;
    }
};

} // namespace comfygate::fakes
