#pragma once

#include <Poco/Net/IPAddress.h>

#include <string>
#include <vector>

namespace comfygate {

/// One IP address or CIDR block, IPv4 or IPv6. IPv4-mapped IPv6 addresses
/// (::ffff:10.0.0.1) match as the IPv4 address they carry.
class IpRange
{
public:
    /// Parses "10.0.0.0/8", "::1", "fe80::/10" or "192.168.1.7". Throws std::invalid_argument.
    explicit IpRange(const std::string& text);

    bool contains(const Poco::Net::IPAddress& address) const;
    const std::string& text() const { return _text; }
    /// The network address and prefix length (32 or 128 for a single address).
    const Poco::Net::IPAddress& network() const { return _network; }
    unsigned prefix() const { return _prefix; }

    /// The address with an IPv4-mapped IPv6 form turned into plain IPv4.
    static Poco::Net::IPAddress normalize(const Poco::Net::IPAddress& address);

    /// Parses a list; throws naming the first bad entry.
    static std::vector<IpRange> parseList(const std::vector<std::string>& texts);
    static bool anyContains(const std::vector<IpRange>& ranges, const Poco::Net::IPAddress& address);

private:
    std::string _text;
    Poco::Net::IPAddress _network;
    unsigned _prefix = 0;
};

} // namespace comfygate
