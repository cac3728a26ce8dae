#include "AdminRoutes.h"

#include "AuthServices.h"
#include "IsoTime.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/ModuleContext.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <sstream>
#include <tuple>

namespace comfygate::auth {
namespace {

Poco::JSON::Object::Ptr ok()
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("status", "ok");
    return body;
}

std::vector<std::string> stringList(const Poco::JSON::Object::Ptr& body, const std::string& name)
{
    const auto array = body->getArray(name);
    if (!array)
        throw HttpError(400, name + " must be an array of strings");
    std::vector<std::string> items;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto value = array->get(static_cast<unsigned>(i));
        if (!value.isString())
            throw HttpError(400, name + " must be an array of strings");
        items.push_back(value.convert<std::string>());
    }
    return items;
}

std::string stringify(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

} // namespace

Poco::JSON::Object::Ptr AdminRoutes::describe(const User& user)
{
    Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
    item->set("username", user.username);
    item->set("user_id", user.id);
    item->set("role", user.role);
    Poco::JSON::Array::Ptr groups = new Poco::JSON::Array;
    for (const auto& group : user.groups)
        groups->add(group);
    item->set("groups", groups);
    item->set("sfw_check", user.sfwCheck);
    item->set("mfa_enabled", user.mfaEnabled);
    item->set("is_admin", user.role == "admin" || user.role == "owner");
    item->set("builtin", user.builtin);
    item->set("disabled", user.disabled);
    item->set("created_at_iso", isoTime(user.createdAt));
    item->set("last_login_at_iso", isoTime(user.lastLoginAt));
    return item;
}

void AdminRoutes::registerAll(RouteRegistry& routes)
{
    using Method = void (AdminRoutes::*)(HttpExchange&);
    struct Entry
    {
        const char* method;
        const char* pattern;
        Access access;
        const char* permission;
        const char* description;
        Method handler;
    };
    const std::vector<Entry> table{
        {"GET", "/mss-login/api/users", Access::Permission, "can_manage_users", "every user (no secrets)", &AdminRoutes::listUsers},
        {"PUT", "/mss-login/api/users/{name}", Access::Permission, "can_manage_users", "change a user's groups (first = role) and sfw_check", &AdminRoutes::updateUser},
        {"DELETE", "/mss-login/api/users/{name}", Access::Permission, "can_manage_users", "delete a user and end their sessions and tokens", &AdminRoutes::deleteUser},
        {"POST", "/mss-login/api/users/{name}/mfa/reset", Access::Permission, "can_manage_users", "turn a user's MFA off (lost device): secret and backup codes are forgotten", &AdminRoutes::resetMfa},
        {"GET", "/mss-login/api/permissions", Access::Permission, "can_manage_users", "every declared permission with its description, group and default roles", &AdminRoutes::listPermissions},
        {"GET", "/mss-login/api/groups", Access::Permission, "can_manage_users", "the role -> permission table", &AdminRoutes::getGroups},
        {"PUT", "/mss-login/api/groups", Access::Permission, "can_manage_users", "change permission flags of roles", &AdminRoutes::putGroups},
        {"GET", "/mss-login/api/settings/guest-jwt", Access::Authenticated, "", "whether the guest user may get a session", &AdminRoutes::getGuestJwt},
        {"PUT", "/mss-login/api/settings/guest-jwt", Access::Permission, "can_manage_users", "allow or forbid guest sessions", &AdminRoutes::putGuestJwt},
        {"GET", "/mss-login/api/ip-lists", Access::Permission, "can_manage_users", "the IP allow list and block list", &AdminRoutes::getIpLists},
        {"PUT", "/mss-login/api/ip-lists", Access::Permission, "can_manage_users", "replace the IP lists (invalid entries are refused)", &AdminRoutes::putIpLists},
        {"POST", "/mss-login/api/owner/transfer", Access::Authenticated, "", "the owner hands ownership to another user (owner only)", &AdminRoutes::transferOwnership},
    };
    for (const auto& entry : table) {
        auto route = RouteSpec::make(entry.method, entry.pattern, entry.access, entry.description,
                               [this, handler = entry.handler](HttpExchange& e) { (this->*handler)(e); },
                               entry.permission);
        route.aliases = {std::string("/api/mss-login") + std::string(entry.pattern).substr(std::string("/mss-login").size())};
        routes.add(route);
    }
}

User AdminRoutes::target(HttpExchange& exchange)
{
    const auto user = _services.users.findByName(exchange.param("name"));
    if (!user)
        throw HttpError(404, "no user named " + exchange.param("name"));
    return *user;
}

void AdminRoutes::listUsers(HttpExchange& exchange)
{
    Poco::JSON::Array::Ptr users = new Poco::JSON::Array;
    for (const auto& user : _services.users.list())
        users->add(describe(user));
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("users", users);
    exchange.sendJson(200, body);
}

void AdminRoutes::updateUser(HttpExchange& exchange)
{
    const User user = target(exchange);
    const auto body = exchange.jsonBody();
    const Principal& caller = exchange.principal();
    std::vector<std::string> groups = body->has("groups") ? stringList(body, "groups") : user.groups;
    const std::string role = groups.empty() ? "user" : groups.front();
    if (std::find(knownRoles().begin(), knownRoles().end(), role) == knownRoles().end())
        throw HttpError(400, "the first group must be a role: owner, admin, power, user or guest");
    if (groups.empty())
        groups.push_back(role);
    std::optional<bool> sfw;
    if (body->has("sfw_check")) {
        if (!body->get("sfw_check").isBoolean())
            throw HttpError(400, "sfw_check must be true or false");
        sfw = body->getValue<bool>("sfw_check");
    }
    std::optional<bool> disabled;
    if (body->has("disabled")) {
        if (!body->get("disabled").isBoolean())
            throw HttpError(400, "disabled must be true or false");
        disabled = body->getValue<bool>("disabled");
        if (*disabled && user.id == caller.userId)
            throw HttpError(400, "you cannot disable yourself");
        if (*disabled && user.role == "admin" && caller.role != "owner")
            throw HttpError(403, "only the owner disables an admin");
    }
    if (user.role == "owner" && role != "owner")
        throw HttpError(403, "the owner cannot be demoted: the owner transfers ownership instead");
    if (role == "owner" && user.role != "owner") {
        if (caller.role != "owner")
            throw HttpError(403, "only the owner assigns the owner role");
        _services.users.transferOwnership(caller.userId, user.id);
        _services.audit(caller.username, "owner.transfer", user.username, exchange.client().toString());
        exchange.sendJson(200, ok());
        return;
    }
    if (user.role == "admin" && caller.role != "owner" && caller.userId != user.id && role != "admin")
        throw HttpError(403, "only the owner changes another admin's role");
    // A body with only "disabled" changes nothing else and is audited as that alone.
    const bool changesAccount = body->has("groups") || body->has("sfw_check");
    try {
        if (changesAccount)
            _services.users.update(user.id, role, groups, sfw);
        if (disabled && *disabled != user.disabled)
            _services.users.setDisabled(user.id, *disabled);
    } catch (const UserError& e) {
        throw HttpError(400, e.what(), e.code());
    }
    if (changesAccount)
        _services.audit(caller.username, "user.update", user.username, exchange.client().toString(),
                        "{\"role\":\"" + role + "\"}");
    if (disabled && *disabled != user.disabled)
        _services.audit(caller.username, *disabled ? "user.disable" : "user.enable", user.username,
                        exchange.client().toString());
    exchange.sendJson(200, ok());
}

void AdminRoutes::deleteUser(HttpExchange& exchange)
{
    const User user = target(exchange);
    if (user.builtin)
        throw HttpError(400, "the built-in guest user cannot be deleted");
    if (user.role == "owner")
        throw HttpError(400, "the owner cannot be deleted: transfer ownership first");
    if (user.id == exchange.principal().userId)
        throw HttpError(400, "you cannot delete yourself");
    _services.users.remove(user.id); // sessions, tokens, MFA rows and secrets go with it
    _services.audit(exchange.principal().username, "user.delete", user.username, exchange.client().toString());
    exchange.sendJson(200, ok());
}

void AdminRoutes::resetMfa(HttpExchange& exchange)
{
    const User user = target(exchange);
    if (!user.mfaEnabled)
        throw HttpError(409, user.username + " has no MFA to reset");
    if (user.role == "owner" && exchange.principal().role != "owner")
        throw HttpError(403, "only the owner resets the owner's MFA");
    _services.mfa.disable(user.id);
    _services.audit(exchange.principal().username, "user.mfa_reset", user.username, exchange.client().toString());
    exchange.sendJson(200, ok());
}

void AdminRoutes::listPermissions(HttpExchange& exchange)
{
    auto specs = _services.context.permissions().all();
    std::sort(specs.begin(), specs.end(), [](const PermissionSpec& a, const PermissionSpec& b) {
        return std::tie(a.group, a.id) < std::tie(b.group, b.id);
    });
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& spec : specs) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
        item->set("id", spec.id);
        item->set("description", spec.description);
        item->set("group", spec.group);
        Poco::JSON::Array::Ptr roles = new Poco::JSON::Array;
        for (const auto& role : spec.defaultRoles)
            roles->add(role);
        item->set("default_roles", roles);
        list->add(item);
    }
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("permissions", list);
    exchange.sendJson(200, body);
}

void AdminRoutes::getGroups(HttpExchange& exchange)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("groups", Poco::JSON::Parser().parse(_services.context.permissions().groupsJson()));
    exchange.sendJson(200, body);
}

void AdminRoutes::putGroups(HttpExchange& exchange)
{
    const auto body = exchange.jsonBody();
    const auto changes = body->getObject("groups");
    if (!changes)
        throw HttpError(400, "send {\"groups\": {role: {permission: true|false}}}");
    // Merge flag by flag into the current table, so a partial edit keeps everything else.
    auto table = Poco::JSON::Parser().parse(_services.context.permissions().groupsJson()).extract<Poco::JSON::Object::Ptr>();
    for (const auto& [role, flagsVar] : *changes) {
        if (std::find(knownRoles().begin(), knownRoles().end(), role) == knownRoles().end())
            throw HttpError(400, "unknown role " + role);
        if (flagsVar.type() != typeid(Poco::JSON::Object::Ptr))
            throw HttpError(400, "groups." + role + " must be an object of permission flags");
        auto flags = table->getObject(role);
        for (const auto& [id, value] : *flagsVar.extract<Poco::JSON::Object::Ptr>()) {
            if (!value.isBoolean())
                throw HttpError(400, "groups." + role + "." + id + " must be true or false");
            if (!_services.context.permissions().isDeclared(id))
                throw HttpError(400, "unknown permission " + id);
            flags->set(id, value);
        }
    }
    const std::string text = stringify(table);
    _services.context.permissions().setGroups(text);
    _services.runtimeSettings.set("groups", text, unixNow());
    _services.announce(AuthServices::runtimeSettingsChanged);
    _services.audit(exchange.principal().username, "groups.update", "groups", exchange.client().toString(),
                    stringify(changes));
    exchange.sendJson(200, ok());
}

void AdminRoutes::getGuestJwt(HttpExchange& exchange)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("allow_guest_jwt", _services.allowGuestJwt.load());
    exchange.sendJson(200, body);
}

void AdminRoutes::putGuestJwt(HttpExchange& exchange)
{
    const auto body = exchange.jsonBody();
    if (!body->has("allow_guest_jwt") || !body->get("allow_guest_jwt").isBoolean())
        throw HttpError(400, "send {\"allow_guest_jwt\": true|false}");
    const bool allow = body->getValue<bool>("allow_guest_jwt");
    _services.allowGuestJwt = allow;
    _services.runtimeSettings.set("allow_guest_jwt", allow ? "true" : "false", unixNow());
    _services.announce(AuthServices::runtimeSettingsChanged);
    _services.audit(exchange.principal().username, "settings.guest_jwt", allow ? "on" : "off",
                    exchange.client().toString());
    auto answer = ok();
    answer->set("allow_guest_jwt", allow);
    exchange.sendJson(200, answer);
}

void AdminRoutes::getIpLists(HttpExchange& exchange)
{
    Poco::JSON::Array::Ptr whitelist = new Poco::JSON::Array;
    for (const auto& entry : _services.ipLists.whitelist())
        whitelist->add(entry);
    Poco::JSON::Array::Ptr blacklist = new Poco::JSON::Array;
    for (const auto& entry : _services.ipLists.blacklist(unixNow())) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
        item->set("ip", entry.ip);
        item->set("permanent", entry.permanent);
        if (!entry.permanent)
            item->set("expires_at", isoTime(entry.expiresAt));
        item->set("reason", entry.reason);
        blacklist->add(item);
    }
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("whitelist", whitelist);
    body->set("blacklist", blacklist);
    exchange.sendJson(200, body);
}

void AdminRoutes::putIpLists(HttpExchange& exchange)
{
    const auto body = exchange.jsonBody();
    const std::int64_t now = unixNow();
    std::vector<std::string> whitelist = body->has("whitelist") ? stringList(body, "whitelist") : _services.ipLists.whitelist();
    std::vector<IpListStore::BlacklistEntry> blacklist;
    if (body->has("blacklist")) {
        const auto array = body->getArray("blacklist");
        if (!array)
            throw HttpError(400, "blacklist must be an array");
        for (std::size_t i = 0; i < array->size(); ++i) {
            const auto item = array->get(static_cast<unsigned>(i));
            IpListStore::BlacklistEntry entry{"", true, 0, "admin"};
            if (item.isString()) {
                entry.ip = item.convert<std::string>();
            } else if (item.type() == typeid(Poco::JSON::Object::Ptr)) {
                const auto object = item.extract<Poco::JSON::Object::Ptr>();
                entry.ip = object->optValue<std::string>("ip", "");
                entry.permanent = object->optValue<bool>("permanent", true);
                const auto hours = object->optValue<std::int64_t>("expires_in_hours", 0);
                if (!entry.permanent && hours <= 0)
                    throw HttpError(400, "blacklist entry " + entry.ip + ": expires_in_hours must be positive");
                entry.expiresAt = entry.permanent ? 0 : now + hours * 3600;
            } else {
                throw HttpError(400, "blacklist entries are IP strings or {ip, permanent, expires_in_hours}");
            }
            blacklist.push_back(entry);
        }
    } else {
        blacklist = _services.ipLists.blacklist(now);
    }
    try {
        _services.ipLists.replace(whitelist, blacklist, now);
    } catch (const std::invalid_argument& e) {
        throw HttpError(400, e.what());
    }
    _services.announce(AuthServices::ipListsChanged);
    _services.audit(exchange.principal().username, "ip_lists.update", "ip-lists", exchange.client().toString());
    exchange.sendJson(200, ok());
}

void AdminRoutes::transferOwnership(HttpExchange& exchange)
{
    const Principal& caller = exchange.principal();
    if (caller.role != "owner")
        throw HttpError(403, "only the owner transfers ownership");
    const auto body = exchange.jsonBody();
    const auto user = _services.users.findByName(body->optValue<std::string>("username", ""));
    if (!user)
        throw HttpError(404, "no such user");
    if (user->builtin || user->id == caller.userId)
        throw HttpError(400, "ownership goes to another, regular user");
    _services.users.transferOwnership(caller.userId, user->id);
    _services.audit(caller.username, "owner.transfer", user->username, exchange.client().toString());
    exchange.sendJson(200, ok());
}

} // namespace comfygate::auth
