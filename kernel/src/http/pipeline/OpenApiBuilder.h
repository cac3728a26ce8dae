#pragma once

#include <string>

namespace comfygate {

class Router;

/// Builds an OpenAPI 3 document from the route registry: every registered route with its
/// method, path, parameters, owner module, permission and description. Nothing is kept by
/// hand, so the document cannot drift from what the server serves.
class OpenApiBuilder
{
public:
    explicit OpenApiBuilder(const Router& router) : _router(router) {}
    std::string build() const;

private:
    const Router& _router;
};

} // namespace comfygate
