#pragma once

#include "ApiKeyTypes.h"
#include "comfygate/Audit.h"
#include "comfygate/Route.h"
#include "comfygate/ServiceRegistry.h"
#include "comfygate/SwarmApi.h"
#include "comfygate/services/UserSecrets.h"

#include <Poco/Logger.h>

#include <memory>

namespace comfygate::presets {

/// SwarmUI's SetAPIKey and GetAPIKeyStatus, storing through the auth module's "auth.secrets"
/// (sealed with AES-256-GCM at rest, weakness §7.6). A key is write-only: no answer, log line
/// or audit record ever carries it.
class ApiKeyRoutes
{
public:
    ApiKeyRoutes(ServiceRegistry& services, Audit& audit, Poco::Logger& logger)
        : _services(services), _audit(audit), _logger(logger)
    {
    }
    void registerAll(RouteRegistry& routes);

private:
    Poco::JSON::Object::Ptr setApiKey(swarm::Call& call, HttpExchange& exchange);
    Poco::JSON::Object::Ptr getApiKeyStatus(swarm::Call& call, HttpExchange& exchange);
    /// The key type named by the call's `keyType`; a Refusal for any other.
    static const ApiKeyType& keyTypeOf(swarm::Call& call);
    /// The auth module's store; a Refusal when the auth module is not loaded.
    std::shared_ptr<services::UserSecrets> secrets() const;

    ServiceRegistry& _services;
    Audit& _audit;
    Poco::Logger& _logger;
};

} // namespace comfygate::presets
