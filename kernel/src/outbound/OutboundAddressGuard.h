#pragma once

#include <functional>
#include <string>

struct sockaddr;

namespace comfygate {

/// For HttpClientRequest::allowAddress on requests to operator-configured hosts (notification
/// channels, policy.http's allow-list): a connection may go to a loopback address only when
/// the configured host itself is loopback ("localhost", 127.0.0.1, ::1), so a DNS answer for
/// an outside name can never make the server talk to itself.
std::function<bool(const sockaddr&)> outboundAddressGuard(const std::string& configuredHost);

/// True for "localhost" and loopback IP literals.
bool isLoopbackHost(const std::string& host);

} // namespace comfygate
