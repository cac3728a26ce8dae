#include "SettingsRoutes.h"

#include "ComfyAnswers.h"
#include "JsonText.h"
#include "comfygate/HttpExchange.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace comfygate::userdata {
namespace {

Poco::Dynamic::Var parseBody(const std::string& body)
{
    try {
        return JsonText::parse(body);
    } catch (const std::invalid_argument& e) {
        throw InvalidContent(std::string("the body is not valid JSON: ") + e.what());
    }
}

Poco::JSON::Object::Ptr parseSettings(const std::string& text)
{
    try {
        Poco::Dynamic::Var parsed = Poco::JSON::Parser().parse(text);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr))
            return parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        // A damaged file (written by hand, imported) reads as no settings, as ComfyUI does.
    }
    return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

} // namespace

void SettingsRoutes::registerAll(RouteRegistry& routes)
{
    struct Entry
    {
        const char* method;
        const char* pattern;
        const char* description;
        Handler handler;
    };
    const std::vector<Entry> table{
        {"GET", "/settings", "your ComfyUI settings",
         [this](HttpExchange& e) { e.sendJson(200, load(e.principal().userId)); }},
        {"GET", "/settings/{id}", "one of your ComfyUI settings (null when unset)",
         [this](HttpExchange& e) {
             auto settings = load(e.principal().userId);
             const std::string id = e.param("id");
             e.sendJson(200, settings->has(id) ? settings->get(id) : Poco::Dynamic::Var());
         }},
        {"POST", "/settings", "change your ComfyUI settings (a JSON object, merged)",
         [this](HttpExchange& e) {
             const Poco::Dynamic::Var body = parseBody(e.body());
             if (body.type() != typeid(Poco::JSON::Object::Ptr))
                 throw InvalidContent("the body must be a JSON object of settings");
             const auto changes = body.extract<Poco::JSON::Object::Ptr>();
             merge(e, [&](Poco::JSON::Object& settings) {
                 for (const auto& [key, value] : *changes)
                     settings.set(key, value);
             });
         }},
        {"POST", "/settings/{id}", "change one of your ComfyUI settings (any JSON value)",
         [this](HttpExchange& e) {
             const std::string id = e.param("id");
             const Poco::Dynamic::Var value = parseBody(e.body());
             merge(e, [&](Poco::JSON::Object& settings) { settings.set(id, value); });
         }},
    };
    for (const auto& entry : table) {
        Handler handler = entry.handler;
        auto route = RouteSpec::make(
            entry.method, entry.pattern, Access::Permission, entry.description,
            [handler](HttpExchange& e) { ComfyAnswers::guarded(e, [&] { handler(e); }); }, "can_access_api");
        route.apiTwin = true;
        route.bodyLimit = _bodyLimit;
        routes.add(route);
    }
    auto users = RouteSpec::make(
        "GET", "/users", Access::Permission, "your user, as ComfyUI's multi-user list (only you)",
        [this](HttpExchange& e) { listUsers(e); }, "can_access_api");
    users.apiTwin = true;
    routes.add(users);
}

Poco::JSON::Object::Ptr SettingsRoutes::load(const std::string& userId)
{
    auto text = _store.read(userId, WorkflowLibrary::settingsFile);
    return text ? parseSettings(*text) : Poco::JSON::Object::Ptr(new Poco::JSON::Object);
}

void SettingsRoutes::merge(HttpExchange& exchange, const std::function<void(Poco::JSON::Object&)>& change)
{
    const std::string& userId = exchange.principal().userId;
    try {
        updateSettings(userId, change);
    } catch (const std::invalid_argument& e) {
        throw InvalidContent(std::string("your settings cannot be saved: ") + e.what());
    }
    _notifier.changed(userId, "saved", WorkflowLibrary::settingsFile);
    exchange.sendText(200, "application/octet-stream", "");
}

void SettingsRoutes::updateSettings(const std::string& userId, const std::function<void(Poco::JSON::Object&)>& change)
{
    _store.update(
        userId, WorkflowLibrary::settingsFile,
        [&](const std::optional<std::string>& current) {
            auto settings = current ? parseSettings(*current) : Poco::JSON::Object::Ptr(new Poco::JSON::Object);
            change(*settings);
            std::ostringstream out;
            settings->stringify(out, 4);
            return out.str();
        },
        userId, false);
}

void SettingsRoutes::listUsers(HttpExchange& exchange)
{
    Poco::JSON::Object::Ptr users = new Poco::JSON::Object;
    users->set(exchange.principal().userId, exchange.principal().username);
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("storage", "server");
    body->set("users", users);
    exchange.sendJson(200, body);
}

} // namespace comfygate::userdata
