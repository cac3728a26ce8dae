#pragma once

#include <string>

struct sockaddr;

namespace comfygate::modeldownload {

/// Where a download may connect (security baseline §10.1): every hop https, to a host whose
/// every resolved address is public. Loopback, private, link-local (cloud metadata), CGNAT,
/// documentation, benchmarking, multicast and reserved ranges are refused, in IPv4, IPv6 and
/// IPv4-mapped/NAT64 forms, and so are numeric host spellings other than dotted decimal
/// (`0x7f.1`, `017700000001`, `2130706433`). With `allowPrivateAddresses` (tests, closed
/// networks) any http(s) URL passes.
///
/// problem() resolves the name itself and FileTransfer checks again, with isPublicAddress(),
/// every address a connection is actually opened to (HttpClientRequest::allowAddress), so a
/// DNS answer that changes in between (rebinding) cannot lead to a private address.
class OutboundUrlPolicy
{
public:
    explicit OutboundUrlPolicy(bool allowPrivateAddresses) : _allowPrivate(allowPrivateAddresses) {}

    /// Empty when `url` may be fetched, else the reason it may not.
    std::string problem(const std::string& url) const;

    /// True for an address a download may connect to.
    static bool isPublicAddress(const sockaddr& address);

    /// True for an IPv4 address (host byte order) outside every non-public range.
    static bool isPublicIPv4(unsigned long address);

    /// "host:port" of an absolute URL, the port defaulted from the scheme; empty when the URL
    /// does not parse. The form HttpClientRequest::credentialHosts matches.
    static std::string hostAndPort(const std::string& url);

private:
    bool _allowPrivate;
};

} // namespace comfygate::modeldownload
