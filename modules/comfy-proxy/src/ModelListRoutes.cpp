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
void ModelListRoutes::relayFiltered(HttpExchange& exchange, const char* shape, Filter filter)
{
    if (_check.seesAll(exchange.principal()))
        return _upstream.forward(exchange);
    const auto answer = _upstream.fetchJson(exchange);
    if (answer.isEmpty())
        return;
    if (answer.type() != typeid(Json))
        throw HttpError(502, "ComfyUI answered " + exchange.request().getURI() + " with something that is not " +
                                 shape);
    exchange.sendJson(200, filter(answer.extract<Json>()));
}

void ModelListRoutes::folder(HttpExchange& exchange)
{
    relayFiltered<Poco::JSON::Array::Ptr>(exchange, "a list", [&](const Poco::JSON::Array::Ptr& files) {
        return _check.filterFolder(exchange.principal(), exchange.param("folder"), files);
    });
}

void ModelListRoutes::embeddings(HttpExchange& exchange)
{
    relayFiltered<Poco::JSON::Array::Ptr>(exchange, "a list", [&](const Poco::JSON::Array::Ptr& names) {
        return _check.filterEmbeddings(exchange.principal(), names);
    });
}

void ModelListRoutes::objectInfo(HttpExchange& exchange)
{
    relayFiltered<Poco::JSON::Object::Ptr>(exchange, "an object", [&](const Poco::JSON::Object::Ptr& info) {
        _check.filterObjectInfo(exchange.principal(), info);
        return info;
    });
}

void ModelListRoutes::viewMetadata(HttpExchange& exchange)
{
    // Same answer whether the model exists or not: no way to probe for unshared models.
    const auto filename = exchange.query("filename");
    if (!_check.mayUse(exchange.principal(), exchange.param("folder"), filename.value_or("")))
        throw HttpError(404, "no such model");
    _upstream.forward(exchange);
}

} // namespace comfygate::comfyproxy
