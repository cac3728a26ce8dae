#include "CatalogRoutes.h"

#include "CatalogDocument.h"
#include "comfygate/HttpError.h"
#include "comfygate/services/UserSecrets.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace comfygate::civitaicatalog {

namespace {

std::int64_t versionIdParam(const HttpExchange& exchange)
{
    const std::string& text = exchange.param("version_id");
    Poco::Int64 id = 0;
    const bool digits = !text.empty() && text.size() <= 18 &&
                        std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    if (!digits || !Poco::NumberParser::tryParse64(text, id) || id <= 0)
        throw HttpError(400, "version_id must be a positive number, got '" + text + "'", "invalid_version_id");
    return id;
}

std::string etag(std::int64_t revision)
{
    return "\"" + std::to_string(revision) + "\"";
}

/// `If-Match: "7"`, `7` or `W/"7"`; `*` and no header mean "any version".
std::optional<std::int64_t> ifMatch(HttpExchange& exchange)
{
    const std::string header = Poco::trim(exchange.request().get("If-Match", ""));
    if (header.empty() || header == "*")
        return std::nullopt;
    std::string value = header.rfind("W/", 0) == 0 ? header.substr(2) : header;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
    Poco::Int64 revision = 0;
    if (!Poco::NumberParser::tryParse64(value, revision))
        throw HttpError(400, "If-Match must be a catalog version, got '" + header + "'", "invalid_if_match");
    return revision;
}

std::string jsonText(const Poco::JSON::Object::Ptr& object)
{
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

} // namespace

void CatalogRoutes::registerAll(RouteRegistry& routes)
{
    auto bind = [this](void (CatalogRoutes::*method)(HttpExchange&)) {
        return [this, method](HttpExchange& exchange) { (this->*method)(exchange); };
    };
    routes.add(RouteSpec::make("GET", "/api/admin/models/catalog/{file}", Access::Permission,
                               "a catalog export file (models.json, loras.json, llm.json), ETag = its version",
                               bind(&CatalogRoutes::exportFile), readPermission));
    routes.add(RouteSpec::make("GET", "/api/admin/models/civitai-map", Access::Permission,
                               "the catalog's CivitAI entries by version id and by model id",
                               bind(&CatalogRoutes::civitaiMap), readPermission));
    routes.add(RouteSpec::make("POST", "/api/admin/civitai/add/{version_id}", Access::Permission,
                               "add a CivitAI model version to the catalog (If-Match: version)",
                               bind(&CatalogRoutes::add), managePermission));
    routes.add(RouteSpec::make("POST", "/api/admin/civitai/promote-to-lora/{version_id}", Access::Permission,
                               "move a LoRA from models.json into its loras.json bucket (If-Match: version)",
                               bind(&CatalogRoutes::promote), managePermission));
}

void CatalogRoutes::exportFile(HttpExchange& exchange)
{
    const std::string& file = exchange.param("file");
    const auto& names = CatalogDocument::catalogNames();
    const auto name =
        std::find_if(names.begin(), names.end(), [&](const std::string& n) { return n + ".json" == file; });
    if (name == names.end())
        throw HttpError(404, "no catalog file '" + file + "' (models.json, loras.json, llm.json)", "not_found");
    // Built from the database rather than read from catalog.dir: it is what every instance
    // sharing the database agrees on.
    const std::int64_t revision = _store.revision();
    const auto document = CatalogDocument::build(*name, _store.all(), revision);
    exchange.response().set("ETag", etag(revision));
    exchange.response().set("Cache-Control", "no-cache");
    if (exchange.request().get("If-None-Match", "") == etag(revision)) {
        exchange.response().setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED);
        exchange.response().setContentLength(0);
        exchange.response().send();
        return;
    }
    exchange.sendText(200, "application/json", CatalogDocument::text(document));
}

void CatalogRoutes::civitaiMap(HttpExchange& exchange)
{
    const auto map = _actions.civitaiMap();
    exchange.response().set("ETag", etag(map->getValue<Poco::Int64>("version")));
    exchange.sendJson(200, map);
}

void CatalogRoutes::add(HttpExchange& exchange)
{
    const std::int64_t versionId = versionIdParam(exchange);
    const std::string key = civitaiKeyFor(exchange.principal());
    change(exchange, "catalog.civitai.add", "civitai:" + std::to_string(versionId),
           [&](std::optional<std::int64_t> expected) { return _actions.add(versionId, key, expected); });
}

void CatalogRoutes::promote(HttpExchange& exchange)
{
    const std::int64_t versionId = versionIdParam(exchange);
    change(exchange, "catalog.civitai.promote", "civitai:" + std::to_string(versionId),
           [&](std::optional<std::int64_t> expected) { return _actions.promoteToLora(versionId, expected); });
}

void CatalogRoutes::change(HttpExchange& exchange, const std::string& action, const std::string& target,
                           const std::function<Poco::JSON::Object::Ptr(std::optional<std::int64_t>)>& work)
{
    const auto expected = ifMatch(exchange);
    // Checked before any upstream call too; the store checks again inside its transaction.
    if (expected && *expected != _store.revision())
        throw HttpError(412, "the catalog changed: its version is now " + std::to_string(_store.revision()),
                        "stale_version");
    Poco::JSON::Object::Ptr result;
    try {
        result = work(expected);
    } catch (const StaleRevision& stale) {
        throw HttpError(412, stale.what(), "stale_version");
    }
    const std::string status = result->optValue<std::string>("status", "");
    if (status != "already_exists")
        _audit.record({exchange.principal().username, action, target, exchange.client().toString(), jsonText(result)});
    exchange.response().set("ETag", etag(_store.revision()));
    exchange.sendJson(200, result);
}

std::string CatalogRoutes::civitaiKeyFor(const Principal& principal)
{
    if (const auto secrets = _services.find<services::UserSecrets>(services::UserSecrets::serviceName))
        if (const auto key = secrets->use(principal.userId, "civitai"); key && !key->empty())
            return *key;
    return _serverCivitaiKey;
}

} // namespace comfygate::civitaicatalog
