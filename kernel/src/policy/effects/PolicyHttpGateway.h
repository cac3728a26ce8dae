#pragma once

#include "PolicyEffects.h"

#include "comfygate/HttpClient.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace comfygate {

/// policy.http's way out: only http(s) URLs whose host is on policy.http.allow_hosts (exact,
/// case-insensitive names or IP literals), redirects only to such hosts, a loopback address
/// only for a loopback host on the list, a total timeout (policy.http.timeout_ms) and a cap on
/// the answer (policy.http.max_response_bytes).
class PolicyHttpGateway
{
public:
    PolicyHttpGateway(HttpClient& client, std::vector<std::string> allowHosts, std::chrono::milliseconds timeout,
                      std::uint64_t maxResponseBytes);

    /// Throws PolicyEffectError for a URL it refuses; HttpClientError for transport failures.
    PolicyEffects::HttpAnswer perform(const PolicyEffects::HttpCall& call) const;

private:
    bool allowed(const std::string& host) const;

    HttpClient& _client;
    std::vector<std::string> _allowHosts;
    std::chrono::milliseconds _timeout;
    std::uint64_t _maxResponseBytes;
};

} // namespace comfygate
