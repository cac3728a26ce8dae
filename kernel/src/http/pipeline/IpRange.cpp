#include "IpRange.h"

#include <Poco/NumberParser.h>

#include <arpa/inet.h>
#include <cstring>
#include <stdexcept>

namespace comfygate {

Poco::Net::IPAddress IpRange::normalize(const Poco::Net::IPAddress& address)
{
    if (address.family() == Poco::Net::IPAddress::IPv6 && address.isIPv4Mapped()) {
        const auto* bytes = static_cast<const unsigned char*>(address.addr());
        return Poco::Net::IPAddress(bytes + 12, 4);
    }
    return address;
}

IpRange::IpRange(const std::string& text) : _text(text)
{
    const auto slash = text.find('/');
    const std::string host = text.substr(0, slash);
    Poco::Net::IPAddress address;
    in_addr v4{};
    in6_addr v6{};
    if (::inet_pton(AF_INET, host.c_str(), &v4) == 1)
        address = Poco::Net::IPAddress(&v4, sizeof v4);
    else if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1)
        address = Poco::Net::IPAddress(&v6, sizeof v6);
    else
        throw std::invalid_argument("'" + text + "' is not an IP address or CIDR block");
    _network = normalize(address);
    const unsigned maxPrefix = address.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128;
    unsigned prefix = maxPrefix;
    if (slash != std::string::npos) {
        const std::string digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos ||
            !Poco::NumberParser::tryParseUnsigned(digits, prefix) || prefix > maxPrefix)
            throw std::invalid_argument("'" + text + "' has a bad prefix length");
    }
    // An IPv4-mapped block such as ::ffff:10.0.0.0/104 keeps its meaning as 10.0.0.0/8.
    if (address.family() == Poco::Net::IPAddress::IPv6 && _network.family() == Poco::Net::IPAddress::IPv4)
        prefix = prefix >= 96 ? prefix - 96 : 0;
    _prefix = prefix;
}

bool IpRange::contains(const Poco::Net::IPAddress& candidate) const
{
    const Poco::Net::IPAddress address = normalize(candidate);
    if (address.family() != _network.family())
        return false;
    const auto* a = static_cast<const unsigned char*>(address.addr());
    const auto* n = static_cast<const unsigned char*>(_network.addr());
    const unsigned fullBytes = _prefix / 8;
    if (std::memcmp(a, n, fullBytes) != 0)
        return false;
    const unsigned bits = _prefix % 8;
    if (bits == 0)
        return true;
    const unsigned char mask = static_cast<unsigned char>(0xFF << (8 - bits));
    return (a[fullBytes] & mask) == (n[fullBytes] & mask);
}

std::vector<IpRange> IpRange::parseList(const std::vector<std::string>& texts)
{
    std::vector<IpRange> ranges;
    for (const auto& text : texts)
        ranges.emplace_back(text);
    return ranges;
}

bool IpRange::anyContains(const std::vector<IpRange>& ranges, const Poco::Net::IPAddress& address)
{
    for (const auto& range : ranges) {
        if (range.contains(address))
            return true;
    }
    return false;
}

} // namespace comfygate
