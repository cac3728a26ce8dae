#include "SharedItemsRoutes.h"

#include "ModelItemName.h"
#include "comfygate/Audit.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"
#include "comfygate/ServiceRegistry.h"
#include "comfygate/services/UserDirectory.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <sstream>

namespace comfygate::comfyproxy {
namespace {

constexpr double maxExpiryHours = 10.0 * 365 * 24;

Poco::Dynamic::Var isoTime(std::int64_t seconds)
{
    if (seconds == 0)
        return Poco::Dynamic::Var();
    return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(seconds)),
                                           Poco::DateTimeFormat::ISO8601_FORMAT);
}

std::string requiredString(const Poco::JSON::Object::Ptr& body, const std::string& name)
{
    if (!body->has(name) || !body->get(name).isString())
        throw HttpError(400, name + " is required and must be a string");
    return body->getValue<std::string>(name);
}

std::int64_t nowSeconds()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

Poco::JSON::Object::Ptr SharedItemsRoutes::describe(const services::ModelGrant& grant)
{
    Poco::JSON::Object::Ptr item = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    item->set("folder", grant.folder);
    item->set("item_name", grant.itemName);
    item->set("source_backend", grant.sourceBackend);
    item->set("granted_by_user_id", grant.grantedByUserId);
    item->set("granted_by_role", grant.grantedByRole);
    item->set("created_at", isoTime(grant.createdAt));
    item->set("expires_at", isoTime(grant.expiresAt));
    return item;
}

void SharedItemsRoutes::registerAll(RouteRegistry& routes)
{
    using Resolve = Subject (SharedItemsRoutes::*)(HttpExchange&);
    using Act = void (SharedItemsRoutes::*)(HttpExchange&, const Subject&);
    struct Entry
    {
        const char* method;
        const char* pattern;
        const char* description;
        Resolve resolve;
        Act act;
    };
    const char* users = "/mss-login/api/users/{name}/shared-items";
    const char* groups = "/mss-login/api/groups/{group}/shared-items";
    const std::vector<Entry> table{
        {"GET", users, "the models shared with a user", &SharedItemsRoutes::userSubject, &SharedItemsRoutes::list},
        {"POST", users, "share a model (or a glob of models) with a user", &SharedItemsRoutes::userSubject,
         &SharedItemsRoutes::add},
        {"DELETE", users, "stop sharing a model with a user", &SharedItemsRoutes::userSubject,
         &SharedItemsRoutes::remove},
        {"GET", groups, "the models shared with a role or group", &SharedItemsRoutes::groupSubject,
         &SharedItemsRoutes::list},
        {"POST", groups, "share a model (or a glob of models) with a role or group", &SharedItemsRoutes::groupSubject,
         &SharedItemsRoutes::add},
        {"DELETE", groups, "stop sharing a model with a role or group", &SharedItemsRoutes::groupSubject,
         &SharedItemsRoutes::remove},
    };
    for (const auto& entry : table) {
        auto route = RouteSpec::make(
            entry.method, entry.pattern, Access::Permission, entry.description,
            [this, resolve = entry.resolve, act = entry.act](HttpExchange& e) {
                // MSS-Login: the owner, or an admin with the flag; a flag given to a lesser role is not enough.
                if (!e.principal().isAdmin())
                    throw HttpError(403, "only the owner and admins with can_manage_model_sharing share models");
                const Subject subject = (this->*resolve)(e);
                (this->*act)(e, subject);
            },
            "can_manage_model_sharing");
        route.aliases = {std::string("/api/mss-login") +
                         std::string(entry.pattern).substr(std::string("/mss-login").size())};
        routes.add(route);
    }
}

SharedItemsRoutes::Subject SharedItemsRoutes::userSubject(HttpExchange& exchange)
{
    const auto directory = _services.find<services::UserDirectory>(services::UserDirectory::serviceName);
    if (!directory)
        throw HttpError(503, "model sharing per user needs the auth module (no user directory is loaded)");
    const std::string& name = exchange.param("name");
    const auto user = directory->findByName(name);
    if (!user)
        throw HttpError(404, "no user named " + name);
    return Subject{services::GrantSubject::User, user->id, user->username};
}

SharedItemsRoutes::Subject SharedItemsRoutes::groupSubject(HttpExchange& exchange)
{
    const std::string& group = exchange.param("group");
    const bool valid = !group.empty() && group.size() <= 64 && std::all_of(group.begin(), group.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
    if (!valid)
        throw HttpError(400, "a group name has 1 to 64 letters, digits, '_', '-' or '.'");
    return Subject{services::GrantSubject::Group, group, group};
}

void SharedItemsRoutes::list(HttpExchange& exchange, const Subject& subject)
{
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& grant : _grants.list(subject.kind, subject.id))
        items->add(describe(grant));
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set(subject.kind == services::GrantSubject::User ? "username" : "group", subject.label);
    body->set("items", items);
    exchange.sendJson(200, body);
}

void SharedItemsRoutes::checkFolderExists(const std::string& folder)
{
    std::shared_ptr<const ModelCatalog::Snapshot> snapshot;
    try {
        snapshot = _catalog.snapshot();
    } catch (const HttpError&) {
        return; // ComfyUI is down: a well-formed folder name is accepted, grants may precede models
    }
    const auto& folders = snapshot->folders;
    if (std::find(folders.begin(), folders.end(), folder) == folders.end())
        throw HttpError(400, "ComfyUI has no model folder named " + folder);
}

void SharedItemsRoutes::add(HttpExchange& exchange, const Subject& subject)
{
    const auto body = exchange.jsonBody();
    services::ModelGrant grant;
    grant.kind = subject.kind;
    grant.subject = subject.id;
    grant.folder = requiredString(body, "folder");
    grant.itemName = requiredString(body, "item_name");
    if (body->has("source_backend"))
        grant.sourceBackend = requiredString(body, "source_backend");
    if (body->has("expires_in_hours")) {
        const auto hours = body->get("expires_in_hours");
        if (!hours.isNumeric() || hours.convert<double>() <= 0 || hours.convert<double>() > maxExpiryHours)
            throw HttpError(400, "expires_in_hours must be a number of hours above 0 (at most ten years)");
        grant.expiresAt = nowSeconds() + static_cast<std::int64_t>(hours.convert<double>() * 3600);
    }
    grant.grantedByUserId = exchange.principal().userId;
    grant.grantedByRole = exchange.principal().role;
    grant.createdAt = nowSeconds();
    try {
        ModelItemName::validateFolder(grant.folder);
        ModelItemName::validateItem(grant.itemName);
    } catch (const std::invalid_argument& e) {
        throw HttpError(400, e.what());
    }
    checkFolderExists(grant.folder);
    bool added = false;
    try {
        added = _grants.grant(grant);
    } catch (const std::invalid_argument& e) {
        throw HttpError(400, e.what());
    }
    if (!added)
        throw HttpError(400, grant.folder + "/" + grant.itemName + " is already shared with " + subject.label);
    audit(exchange, "model_grant.add", subject, grant.folder, grant.itemName);
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    answer->set("status", "ok");
    answer->set(subject.kind == services::GrantSubject::User ? "username" : "group", subject.label);
    answer->set("item", describe(grant));
    exchange.sendJson(200, answer);
}

void SharedItemsRoutes::remove(HttpExchange& exchange, const Subject& subject)
{
    const auto body = exchange.jsonBody();
    const std::string folder = requiredString(body, "folder");
    const std::string item = requiredString(body, "item_name");
    if (!_grants.revoke(subject.kind, subject.id, folder, item))
        throw HttpError(404, folder + "/" + item + " is not shared with " + subject.label);
    audit(exchange, "model_grant.remove", subject, folder, item);
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("status", "ok");
    exchange.sendJson(200, answer);
}

void SharedItemsRoutes::audit(HttpExchange& exchange, const std::string& action, const Subject& subject,
                              const std::string& folder, const std::string& item)
{
    Poco::JSON::Object detail;
    detail.set("folder", folder);
    detail.set("item_name", item);
    std::ostringstream text;
    detail.stringify(text);
    const std::string target = (subject.kind == services::GrantSubject::User ? "user:" : "group:") + subject.label;
    _audit.record({exchange.principal().username, action, target, exchange.client().toString(), text.str()});
}

} // namespace comfygate::comfyproxy
