#include "OutboundUrlPolicy.h"

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

namespace comfygate::modeldownload {

namespace {

struct Ipv4Range
{
    unsigned long network;
    int prefix;
};

// Everything that is not ordinary public unicast (RFC 6890 and friends).
constexpr Ipv4Range nonPublicIpv4[] = {
    {0x00000000, 8},  // "this network"
    {0x0A000000, 8},  // private
    {0x64400000, 10}, // CGNAT
    {0x7F000000, 8},  // loopback
    {0xA9FE0000, 16}, // link-local, cloud metadata
    {0xAC100000, 12}, // private
    {0xC0000000, 24}, // IETF protocol assignments
    {0xC0000200, 24}, // TEST-NET-1
    {0xC0586300, 24}, // 6to4 relay anycast
    {0xC0A80000, 16}, // private
    {0xC6120000, 15}, // benchmarking
    {0xC6336400, 24}, // TEST-NET-2
    {0xCB007100, 24}, // TEST-NET-3
    {0xE0000000, 4},  // multicast
    {0xF0000000, 4},  // reserved, broadcast
};

unsigned long ipv4FromBytes(const unsigned char* bytes)
{
    return (static_cast<unsigned long>(bytes[0]) << 24) | (static_cast<unsigned long>(bytes[1]) << 16) |
           (static_cast<unsigned long>(bytes[2]) << 8) | static_cast<unsigned long>(bytes[3]);
}

bool startsWith(const unsigned char* bytes, std::initializer_list<unsigned char> prefix)
{
    return std::memcmp(bytes, prefix.begin(), prefix.size()) == 0;
}

bool isPublicIPv6(const unsigned char* b)
{
    static const unsigned char zeros[16] = {0};
    if (std::memcmp(b, zeros, 10) == 0) {
        // ::, ::1, IPv4-compatible ::a.b.c.d and IPv4-mapped ::ffff:a.b.c.d
        if (b[10] == 0xff && b[11] == 0xff)
            return OutboundUrlPolicy::isPublicIPv4(ipv4FromBytes(b + 12));
        return false;
    }
    if (startsWith(b, {0x00, 0x64, 0xff, 0x9b})) {
        if (std::memcmp(b + 4, zeros, 8) == 0) // NAT64 64:ff9b::/96 carries an IPv4 address
            return OutboundUrlPolicy::isPublicIPv4(ipv4FromBytes(b + 12));
        return false; // 64:ff9b:1::/48 local-use NAT64
    }
    if (startsWith(b, {0x20, 0x02})) // 6to4 2002:AABB:CCDD::/48 embeds an IPv4 address
        return OutboundUrlPolicy::isPublicIPv4(ipv4FromBytes(b + 2));
    if (startsWith(b, {0x20, 0x01, 0x00, 0x00}) || startsWith(b, {0x20, 0x01, 0x0d, 0xb8}))
        return false; // Teredo (hides an IPv4 address), documentation
    if (startsWith(b, {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}))
        return false; // discard-only 100::/64
    if ((b[0] & 0xfe) == 0xfc)
        return false; // unique local fc00::/7
    if (b[0] == 0xfe && (b[1] & 0xc0) != 0)
        return false; // link-local fe80::/10 and deprecated site-local fec0::/10
    if (b[0] == 0xff)
        return false; // multicast
    return true;
}

// inet_aton (and with it getaddrinfo) accepts octal, hex and shortened forms of IPv4
// addresses; only the canonical dotted quad is acceptable as a numeric host.
bool isOddNumericSpelling(const std::string& host)
{
    in_addr lenient{};
    in_addr strict{};
    return inet_aton(host.c_str(), &lenient) != 0 && inet_pton(AF_INET, host.c_str(), &strict) != 1;
}

using AddressList = std::unique_ptr<addrinfo, decltype(&freeaddrinfo)>;

} // namespace

bool OutboundUrlPolicy::isPublicIPv4(unsigned long address)
{
    for (const auto& range : nonPublicIpv4) {
        const unsigned long mask = 0xFFFFFFFFul << (32 - range.prefix) & 0xFFFFFFFFul;
        if ((address & mask) == range.network)
            return false;
    }
    return true;
}

bool OutboundUrlPolicy::isPublicAddress(const sockaddr& address)
{
    if (address.sa_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
        return isPublicIPv4(ntohl(v4.sin_addr.s_addr));
    }
    if (address.sa_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
        return isPublicIPv6(v6.sin6_addr.s6_addr);
    }
    return false;
}

std::string OutboundUrlPolicy::hostAndPort(const std::string& url)
{
    try {
        const Poco::URI uri(url);
        if (uri.getHost().empty())
            return {};
        return Poco::toLower(uri.getHost()) + ":" + std::to_string(uri.getPort());
    } catch (const Poco::Exception&) {
        return {};
    }
}

std::string OutboundUrlPolicy::problem(const std::string& url) const
{
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception&) {
        return "not a valid URL";
    }
    const std::string scheme = Poco::toLower(uri.getScheme());
    const std::string host = uri.getHost();
    if (scheme != "https" && !(_allowPrivate && scheme == "http"))
        return "only https URLs may be downloaded from (got " + (scheme.empty() ? "none" : scheme) + ")";
    if (host.empty())
        return "the URL has no host";
    if (_allowPrivate)
        return {};
    if (isOddNumericSpelling(host))
        return "the host " + host + " is a numeric address in a non-standard spelling";

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int error = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (error != 0)
        return "the host " + host + " does not resolve (" + gai_strerror(error) + ")";
    const AddressList addresses(found, &freeaddrinfo);
    for (const addrinfo* entry = addresses.get(); entry; entry = entry->ai_next) {
        if (!entry->ai_addr || !isPublicAddress(*entry->ai_addr))
            return "the host " + host + " resolves to a private, loopback or otherwise non-public address";
    }
    return {};
}

} // namespace comfygate::modeldownload
