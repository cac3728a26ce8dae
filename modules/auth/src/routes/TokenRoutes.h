#pragma once

#include "CredentialChecker.h"

#include <Poco/JSON/Object.h>

namespace comfygate {
class HttpExchange;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::auth {

struct AuthServices;

/// Long-lived API tokens: POST /mss-login/generate_token (and /generate_token) by
/// username + password (with the MFA challenge in the same route) or by an existing session;
/// GET and DELETE /mss-login/api/tokens (by hash prefix). Tokens are shown once and stored
/// as SHA-256 only.
class TokenRoutes
{
public:
    explicit TokenRoutes(AuthServices& services) : _services(services), _checker(services) {}
    void registerAll(RouteRegistry& routes);

    /// Creates a token for the user after the permission check and the `token` policy hook
    /// (which may deny or shorten `expireHours`, 0 = never); returns the response body.
    static Poco::JSON::Object::Ptr issue(AuthServices& services, const User& user, const std::string& label,
                                         std::int64_t expireHours, HttpExchange& exchange);
    /// The same for the CLI (`comfygate token create`): the operator on the server, no hook.
    static Poco::JSON::Object::Ptr issue(AuthServices& services, const User& user, const std::string& label,
                                         std::int64_t expireHours, const std::string& client);

    /// Parses and checks `expire_hours` against the user's permissions (throws HttpError).
    static std::int64_t expireHours(AuthServices& services, const Poco::JSON::Object::Ptr& body, const User& user);

private:
    static void requirePermission(AuthServices& services, const User& user);
    /// Stores the token (`seconds` 0 = never), audits it (with what was asked for when a
    /// policy shortened it) and builds the answer.
    static Poco::JSON::Object::Ptr create(AuthServices& services, const User& user, const std::string& label,
                                          std::int64_t seconds, std::int64_t askedSeconds, const std::string& client);
    void generate(HttpExchange& exchange);
    void list(HttpExchange& exchange);
    void revoke(HttpExchange& exchange);

    AuthServices& _services;
    CredentialChecker _checker;
};

} // namespace comfygate::auth
