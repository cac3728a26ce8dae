#pragma once

#include "UserStore.h"

#include <Poco/JSON/Object.h>

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::auth {

struct AuthServices;

/// Administration (permission can_manage_users unless noted; every change audited):
/// users (list, change role/groups/sfw_check, delete), the role table (groups), the guest
/// JWT switch, IP allow/deny lists and ownership transfer (owner only).
class AdminRoutes
{
public:
    explicit AdminRoutes(AuthServices& services) : _services(services) {}
    void registerAll(RouteRegistry& routes);

    /// The JSON of a user for admin listings.
    static Poco::JSON::Object::Ptr describe(const User& user);

private:
    void listUsers(HttpExchange& exchange);
    void updateUser(HttpExchange& exchange);
    void deleteUser(HttpExchange& exchange);
    void resetMfa(HttpExchange& exchange);
    void listPermissions(HttpExchange& exchange);
    void getGroups(HttpExchange& exchange);
    void putGroups(HttpExchange& exchange);
    void getGuestJwt(HttpExchange& exchange);
    void putGuestJwt(HttpExchange& exchange);
    void getIpLists(HttpExchange& exchange);
    void putIpLists(HttpExchange& exchange);
    void transferOwnership(HttpExchange& exchange);
    User target(HttpExchange& exchange);

    AuthServices& _services;
};

} // namespace comfygate::auth
