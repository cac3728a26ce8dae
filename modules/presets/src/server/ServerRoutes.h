#pragma once

#include "comfygate/Audit.h"
#include "comfygate/Route.h"
#include "comfygate/SwarmApi.h"

#include <Poco/Logger.h>

namespace comfygate::presets {

/// SwarmUI's ServerDebugMessage (a client's message in the server log and the audit) and
/// InstallConfirmWS (always refused: comfygate is installed by its package, not by a web page).
class ServerRoutes
{
public:
    ServerRoutes(Audit& audit, Poco::Logger& logger) : _audit(audit), _logger(logger) {}
    void registerAll(RouteRegistry& routes);

    /// InstallConfirmWS' whole answer: a Refusal with error_id `already_installed`.
    [[noreturn]] static void refuseInstall();

    /// The most characters of a debug message that reach the log and the audit.
    static constexpr std::size_t maxLoggedMessage = 2000;

private:
    Poco::JSON::Object::Ptr serverDebugMessage(swarm::Call& call, HttpExchange& exchange);

    Audit& _audit;
    Poco::Logger& _logger;
};

} // namespace comfygate::presets
