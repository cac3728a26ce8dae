#pragma once

#include "comfygate/Route.h"
#include "comfygate/ServiceRegistry.h"
#include "comfygate/SwarmApi.h"
#include "comfygate/services/ComfyQueue.h"

#include <Poco/Logger.h>

#include <memory>

namespace comfygate::presets {

/// SwarmUI's GetCurrentStatus and InterruptAll over the comfy-proxy module's "comfy.queue"
/// service: ComfyUI is comfygate's one backend, its queue the generations SwarmUI counts.
class StatusRoutes
{
public:
    StatusRoutes(ServiceRegistry& services, Poco::Logger& logger) : _services(services), _logger(logger) {}
    void registerAll(RouteRegistry& routes);

    /// The `backend_status` object for a reading of the queue (nullptr: comfy-proxy not loaded).
    static Poco::JSON::Object::Ptr backendStatus(const services::ComfyQueue::Counts* counts);

private:
    Poco::JSON::Object::Ptr getCurrentStatus(HttpExchange& exchange);
    Poco::JSON::Object::Ptr interruptAll(swarm::Call& call, HttpExchange& exchange);
    std::shared_ptr<services::ComfyQueue> queue() const;

    ServiceRegistry& _services;
    Poco::Logger& _logger;
};

} // namespace comfygate::presets
