#pragma once

#include "comfygate/SwarmApi.h"

#include <string>

namespace comfygate::auth {

/// The metadata every auth route of SwarmUI's BasicAPIFeatures group starts from: its group
/// and a small body limit (credentials and labels only); callers add parameters and examples.
inline swarm::RouteInfo swarmBasicRoute(std::string name, std::string permission, std::string description)
{
    swarm::RouteInfo info;
    info.name = std::move(name);
    info.group = "BasicAPIFeatures";
    info.permission = std::move(permission);
    info.description = std::move(description);
    info.bodyLimit = 16 * 1024;
    return info;
}

} // namespace comfygate::auth
