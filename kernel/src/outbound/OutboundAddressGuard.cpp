#include "OutboundAddressGuard.h"

#include "IpRange.h"

#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>

#include <sys/socket.h>

namespace comfygate {

bool isLoopbackHost(const std::string& host)
{
    if (Poco::icompare(host, "localhost") == 0)
        return true;
    Poco::Net::IPAddress address;
    std::string literal = host;
    if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']')
        literal = literal.substr(1, literal.size() - 2);
    return Poco::Net::IPAddress::tryParse(literal, address) && IpRange::normalize(address).isLoopback();
}

std::function<bool(const sockaddr&)> outboundAddressGuard(const std::string& configuredHost)
{
    if (isLoopbackHost(configuredHost))
        return [](const sockaddr&) { return true; };
    return [](const sockaddr& address) {
        if (address.sa_family != AF_INET && address.sa_family != AF_INET6)
            return false;
        return !IpRange::normalize(Poco::Net::IPAddress(address)).isLoopback();
    };
}

} // namespace comfygate
