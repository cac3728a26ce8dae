#pragma once

#include <Poco/JSON/Object.h>

namespace comfygate {
class HttpExchange;
class RouteRegistry;
namespace swarm {
class Call;
}
} // namespace comfygate

namespace comfygate::auth {

struct AuthServices;

/// SwarmUI's own API-token routes over comfygate's API tokens: ListMyAuthTokens,
/// RevokeMyAuthToken and CreateAuthToken. A token's id is the SHA-256 of the token (what the
/// store keeps; it reveals nothing of the token). Revocation goes through the token store,
/// which bumps the revocation epoch, so the token is refused from the next request on.
class SwarmTokenRoutes
{
public:
    explicit SwarmTokenRoutes(AuthServices& services) : _services(services) {}
    void registerAll(RouteRegistry& routes);

    /// SwarmUI's 1-500 characters of a token's reason (its label).
    static constexpr std::size_t maximumReasonCharacters = 500;

private:
    Poco::JSON::Object::Ptr list(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr revoke(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr create(swarm::Call& call, HttpExchange& exchange);

    AuthServices& _services;
};

} // namespace comfygate::auth
