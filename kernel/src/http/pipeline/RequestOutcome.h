#pragma once

#include <string>

namespace comfygate {

/// What the access log and the metrics record of one request, filled as it goes.
struct RequestOutcome
{
    std::string route = "(unmatched)";
    std::string user;
    std::string client;
};

} // namespace comfygate
