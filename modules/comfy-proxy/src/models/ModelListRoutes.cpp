#include "ModelListRoutes.h"

#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Parser.h>

namespace comfygate::comfyproxy {

void ModelListRoutes::registerAll(RouteRegistry& routes)
{
    using Method = void (ModelListRoutes::*)(HttpExchange&);
    struct Entry
    {
        const char* pattern;
        const char* description;
        Method handler;
    };
    const std::vector<Entry> table{
        {"/models/{folder}", "the models of one folder (only those shared with you under model isolation)",
         &ModelListRoutes::folder},
        {"/embeddings", "embedding names (only those shared with you under model isolation)",
         &ModelListRoutes::embeddings},
        {"/object_info", "ComfyUI node definitions (model combos limited to your models under model isolation)",
         &ModelListRoutes::objectInfo},
        {"/view_metadata/{folder}", "safetensors metadata of a model (404 for models not shared with you)",
         &ModelListRoutes::viewMetadata},
        {"/object_info/{node_class}", "one ComfyUI node definition (model combos limited under model isolation)",
         &ModelListRoutes::objectInfo},
        {"/experiment/models", "model folders (their absolute paths only for can_manage_comfyui)",
         &ModelListRoutes::libraryFolders},
        {"/experiment/models/{folder}",
         "the models of one folder with size and times (only yours under model isolation)",
         &ModelListRoutes::libraryFolder},
        {"/experiment/models/preview/{folder}/{path_index}/{filename...}",
         "a model's preview image (404 for models not shared with you)", &ModelListRoutes::libraryPreview},
    };
    for (const auto& entry : table) {
        auto route = RouteSpec::make(
            "GET", entry.pattern, Access::Permission, entry.description,
            [this, handler = entry.handler](HttpExchange& e) { (this->*handler)(e); }, "can_access_api");
        route.apiTwin = true;
        routes.add(route);
    }
}

template <class Json, class Filter>
void ModelListRoutes::relayFiltered(HttpExchange& exchange, bool unchanged, const char* shape, Filter filter,
                                    bool acrossHosts)
{
    const bool merged = acrossHosts && _merge;
    if (unchanged && !merged)
        return _upstream.forward(exchange);
    const auto answer = merged ? _merge->fetch(exchange) : _upstream.fetchJson(exchange);
    if (answer.isEmpty())
        return;
    if (answer.type() != typeid(Json))
        throw HttpError(502, "ComfyUI answered " + exchange.request().getURI() + " with something that is not " +
                                 shape);
    exchange.sendJson(200, filter(answer.extract<Json>()));
}

void ModelListRoutes::folder(HttpExchange& exchange)
{
    relayFiltered<Poco::JSON::Array::Ptr>(
        exchange, seesAll(exchange), "a list", [&](const Poco::JSON::Array::Ptr& files) {
            return _check.filterFolder(exchange.principal(), exchange.param("folder"), files);
        },
        true);
}

void ModelListRoutes::embeddings(HttpExchange& exchange)
{
    relayFiltered<Poco::JSON::Array::Ptr>(
        exchange, seesAll(exchange), "a list",
        [&](const Poco::JSON::Array::Ptr& names) { return _check.filterEmbeddings(exchange.principal(), names); },
        true);
}

void ModelListRoutes::objectInfo(HttpExchange& exchange)
{
    relayFiltered<Poco::JSON::Object::Ptr>(exchange, seesAll(exchange), "an object",
                                           [&](const Poco::JSON::Object::Ptr& info) {
                                               _check.filterObjectInfo(exchange.principal(), info);
                                               return info;
                                           },
                                           true);
}

void ModelListRoutes::viewMetadata(HttpExchange& exchange)
{
    forwardIfMayUse(exchange, exchange.query("filename").value_or(""));
}

void ModelListRoutes::libraryFolders(HttpExchange& exchange)
{
    // Paths on the ComfyUI host: for those who may read /internal/folder_paths anyway.
    const bool showPaths = exchange.principal().has("can_manage_comfyui");
    relayFiltered<Poco::JSON::Array::Ptr>(exchange, showPaths, "a list", [](const Poco::JSON::Array::Ptr& entries) {
        for (std::size_t i = 0; i < entries->size(); ++i) {
            if (auto entry = entries->getObject(static_cast<unsigned>(i)))
                entry->set("folders", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
        }
        return entries;
    });
}

void ModelListRoutes::libraryFolder(HttpExchange& exchange)
{
    relayFiltered<Poco::JSON::Array::Ptr>(
        exchange, seesAll(exchange), "a list", [&](const Poco::JSON::Array::Ptr& entries) {
            Poco::JSON::Array::Ptr allowed = new Poco::JSON::Array;
            for (std::size_t i = 0; i < entries->size(); ++i) {
                const auto entry = entries->getObject(static_cast<unsigned>(i));
                if (entry && _check.mayUse(exchange.principal(), exchange.param("folder"),
                                           entry->optValue<std::string>("name", "")))
                    allowed->add(entry);
            }
            return allowed;
        });
}

void ModelListRoutes::libraryPreview(HttpExchange& exchange)
{
    forwardIfMayUse(exchange, exchange.param("filename"));
}

bool ModelListRoutes::seesAll(HttpExchange& exchange) const
{
    return _check.seesAll(exchange.principal());
}

void ModelListRoutes::forwardIfMayUse(HttpExchange& exchange, const std::string& model)
{
    // Same answer whether the model exists or not: no way to probe for unshared models.
    if (!_check.mayUse(exchange.principal(), exchange.param("folder"), model))
        throw HttpError(404, "no such model");
    _upstream.forward(exchange);
}

} // namespace comfygate::comfyproxy
