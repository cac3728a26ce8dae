#pragma once

#include "comfygate/Principal.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/IPAddress.h>

#include <optional>
#include <string>

namespace comfygate {

/// What an authenticator knows about a request besides its headers.
struct ClientInfo
{
    Poco::Net::IPAddress address; ///< the real client (socket peer, or from a trusted proxy)
    bool secure = false;          ///< arrived over TLS
    bool loopback = false;        ///< the real client (above) is a loopback address
    bool viaTrustedProxy = false; ///< the socket peer is a configured trusted proxy
    /// The request body, already read, for routes whose API family carries the credential in
    /// the body (SwarmUI's `session_id`); nullptr otherwise. The handler sees the same text.
    const std::string* body = nullptr;
};

/// Turns a request's credential into a principal. The auth module registers one; without
/// it every request is anonymous and only public routes work.
class Authenticator
{
public:
    virtual ~Authenticator() = default;

    /// @return the principal, or std::nullopt when the request carries no credential.
    /// Throws HttpError(401) for a credential that is present but invalid, expired or revoked
    /// (public routes then go on as anonymous), or HttpError(403) to refuse the request
    /// outright, on every route (a blocked address, a cross-site cookie request).
    /// Need not fill Principal::permissions: the kernel resolves them from role and groups.
    virtual std::optional<Principal> authenticate(Poco::Net::HTTPServerRequest& request,
                                                  const ClientInfo& client) = 0;
};

} // namespace comfygate
