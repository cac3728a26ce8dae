#pragma once

#include "comfygate/Route.h"

#include <string>

namespace comfygate::auth {

/// A route spec in one expression; the caller adjusts the rest (twin, body limit, style).
inline RouteSpec makeRoute(std::string method, std::string pattern, Access access, std::string description,
                           Handler handler, std::string permission = {})
{
    RouteSpec spec;
    spec.method = std::move(method);
    spec.pattern = std::move(pattern);
    spec.access = access;
    spec.permission = std::move(permission);
    spec.description = std::move(description);
    spec.handler = std::move(handler);
    return spec;
}

} // namespace comfygate::auth
