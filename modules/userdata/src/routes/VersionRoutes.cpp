#include "VersionRoutes.h"

#include "ComfyAnswers.h"
#include "UserDataRequestPath.h"
#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/NumberParser.h>

namespace comfygate::userdata {
namespace {

const std::string prefix = "/mss-login/api/workflows/{file}/versions";

std::optional<std::int64_t> versionId(HttpExchange& exchange)
{
    Poco::Int64 id = 0;
    if (!Poco::NumberParser::tryParse64(exchange.param("id"), id) || id <= 0)
        return std::nullopt;
    return id;
}

void notFound(HttpExchange& exchange, const std::string& what)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("error", what);
    exchange.sendJson(404, body);
}

} // namespace

void VersionRoutes::registerAll(RouteRegistry& routes)
{
    auto add = [&](const char* method, const std::string& pattern, const char* description, Handler handler) {
        auto route = RouteSpec::make(
            method, pattern, Access::Permission, description,
            [handler](HttpExchange& e) { ComfyAnswers::guarded(e, [&] { handler(e); }); }, "can_access_api");
        route.aliases = {"/api" + pattern};
        routes.add(route);
    };
    add("GET", prefix, "the earlier versions of one of your workflows (global=true: a global one's)",
        [this](HttpExchange& e) { list(e); });
    add("GET", prefix + "/{id}", "one earlier version of a workflow", [this](HttpExchange& e) { content(e); });
    add("POST", prefix + "/{id}/restore", "make an earlier version of a workflow the current one",
        [this](HttpExchange& e) { restore(e); });
}

bool VersionRoutes::target(HttpExchange& exchange, std::string& owner, std::string& path)
{
    const std::string file = UserDataRequestPath::decode(exchange.param("file"));
    path = std::string(WorkflowLibrary::workflowDirectory) + "/" + file;
    if (!ComfyAnswers::acceptName(exchange, file))
        return false;
    const bool global = exchange.query("global").value_or("false") == "true";
    owner = _library.versionOwner(exchange.principal(), global);
    return true;
}

void VersionRoutes::list(HttpExchange& exchange)
{
    std::string owner, path;
    if (!target(exchange, owner, path))
        return;
    Poco::JSON::Array::Ptr versions = new Poco::JSON::Array;
    for (const auto& version : _library.store().versions(owner, path)) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("id", static_cast<Poco::Int64>(version.id));
        item->set("size", static_cast<Poco::Int64>(version.size));
        item->set("saved_at", static_cast<double>(version.savedMs) / 1000.0);
        item->set("replaced_at", static_cast<double>(version.replacedMs) / 1000.0);
        item->set("replaced_by", version.replacedBy);
        versions->add(item);
    }
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("file", path);
    body->set("current", _library.store().info(owner, path).has_value());
    body->set("versions", versions);
    exchange.sendJson(200, body);
}

void VersionRoutes::content(HttpExchange& exchange)
{
    std::string owner, path;
    if (!target(exchange, owner, path))
        return;
    const auto id = versionId(exchange);
    auto text = id ? _library.store().versionContent(owner, path, *id) : std::nullopt;
    if (!text)
        return notFound(exchange, "no version " + exchange.param("id") + " of " + path);
    exchange.sendText(200, "application/json", *text);
}

void VersionRoutes::restore(HttpExchange& exchange)
{
    std::string owner, path;
    if (!target(exchange, owner, path))
        return;
    const auto id = versionId(exchange);
    if (!id || !_library.restore(exchange.principal(), owner, path, *id))
        return notFound(exchange, "no version " + exchange.param("id") + " of " + path);
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("status", "ok");
    body->set("file", path);
    body->set("restored_version", *id);
    exchange.sendJson(200, body);
}

} // namespace comfygate::userdata
