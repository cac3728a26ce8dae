#pragma once

#include <string>

namespace comfygate {

class Router;

/// SwarmUI's generated route docs (reference swarmui-basic-api.md §1.6), rendered as Markdown
/// from the metadata every swarm::addRoute carries: a table of contents, then per group each
/// route's kind, non-final warning, description, permission, parameter table and return
/// example. Served at GET /API/docs; nothing is kept by hand.
class SwarmRouteDocs
{
public:
    explicit SwarmRouteDocs(const Router& router) : _router(router) {}
    std::string markdown() const;

private:
    const Router& _router;
};

} // namespace comfygate
