#pragma once

#include "CatalogActions.h"
#include "comfygate/Audit.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"
#include "comfygate/ServiceRegistry.h"

#include <optional>
#include <string>

namespace comfygate::civitaicatalog {

/// The catalog's HTTP routes (README.md has the table): the export files, the civitai-map,
/// add and promote-to-lora. Changes take `If-Match: <version>` (412 when stale), answer with
/// the new version as ETag and are audited.
class CatalogRoutes
{
public:
    static constexpr const char* managePermission = "can_manage_catalog";
    static constexpr const char* readPermission = "can_access_api";

    CatalogRoutes(CatalogActions& actions, CatalogStore& store, ServiceRegistry& services, Audit& audit,
                  std::string serverCivitaiKey)
        : _actions(actions), _store(store), _services(services), _audit(audit),
          _serverCivitaiKey(std::move(serverCivitaiKey))
    {
    }

    void registerAll(RouteRegistry& routes);

private:
    void exportFile(HttpExchange& exchange);
    void civitaiMap(HttpExchange& exchange);
    void add(HttpExchange& exchange);
    void promote(HttpExchange& exchange);

    /// Runs a change: If-Match parsed and enforced, the answer sent with the new ETag, the
    /// change audited as `action` on `target`.
    void change(HttpExchange& exchange, const std::string& action, const std::string& target,
                const std::function<Poco::JSON::Object::Ptr(std::optional<std::int64_t>)>& work);
    /// The caller's stored CivitAI key, else the server's (catalog.civitai.api_key).
    std::string civitaiKeyFor(const Principal& principal);

    CatalogActions& _actions;
    CatalogStore& _store;
    ServiceRegistry& _services;
    Audit& _audit;
    std::string _serverCivitaiKey;
};

} // namespace comfygate::civitaicatalog
