#pragma once

#include "IpRange.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/IPAddress.h>

#include <vector>

namespace comfygate {

/// Finds the real client of a request. The socket peer is the client unless it is a
/// configured trusted proxy; then X-Forwarded-For is walked right to left, skipping trusted
/// entries, and the first untrusted entry is the client (X-Real-IP when XFF is absent).
/// A client-sent X-Forwarded-For from an untrusted peer is never believed.
class ClientAddressResolver
{
public:
    explicit ClientAddressResolver(std::vector<IpRange> trustedProxies);

    struct Client
    {
        Poco::Net::IPAddress address;
        bool viaTrustedProxy = false;
        bool forwardedSecure = false; ///< a trusted proxy said X-Forwarded-Proto: https
    };

    Client resolve(const Poco::Net::IPAddress& peer, const Poco::Net::HTTPServerRequest& request) const;

private:
    std::vector<IpRange> _trusted;
};

} // namespace comfygate
