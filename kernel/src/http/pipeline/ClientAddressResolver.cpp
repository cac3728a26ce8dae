#include "ClientAddressResolver.h"

#include "ConfigValue.h"

#include <Poco/String.h>

namespace comfygate {

ClientAddressResolver::ClientAddressResolver(std::vector<IpRange> trustedProxies)
    : _trusted(std::move(trustedProxies))
{
}

ClientAddressResolver::Client ClientAddressResolver::resolve(const Poco::Net::IPAddress& peer,
                                                             const Poco::Net::HTTPServerRequest& request) const
{
    Client client{IpRange::normalize(peer), false, false};
    if (_trusted.empty() || !IpRange::anyContains(_trusted, peer))
        return client;
    client.viaTrustedProxy = true;
    client.forwardedSecure =
        Poco::icompare(request.get("X-Forwarded-Proto", ""), std::string("https")) == 0;

    const auto hops = ConfigValue::toList(request.get("X-Forwarded-For", ""));
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
        Poco::Net::IPAddress hop;
        if (!Poco::Net::IPAddress::tryParse(*it, hop))
            return client; // malformed header: keep the peer
        if (!IpRange::anyContains(_trusted, hop)) {
            client.address = IpRange::normalize(hop);
            return client;
        }
    }
    Poco::Net::IPAddress realIp;
    if (hops.empty() && Poco::Net::IPAddress::tryParse(request.get("X-Real-IP", ""), realIp))
        client.address = IpRange::normalize(realIp);
    return client;
}

} // namespace comfygate
