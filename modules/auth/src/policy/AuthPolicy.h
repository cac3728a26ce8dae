#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/IPAddress.h>

#include <cstdint>
#include <string>
#include <vector>

namespace comfygate {
class HttpExchange;
class Policy;
} // namespace comfygate

namespace comfygate::auth {

struct AuthServices;
struct User;

/// The auth module's Lua policy hooks: `login` (may this user sign in now), `register` (may
/// this account be created), `token` (may this API token be created, and for how long), and
/// the `login_failed` event. Every refusal is an HttpError that the kernel renders in the
/// route's own error shape (MSS-Login `{"error"}`, SwarmUI `{"error","error_id"}`), with the
/// script's reason as the message and `policy_denied` as the code.
class AuthPolicy
{
public:
    explicit AuthPolicy(AuthServices& services) : _services(services) {}

    /// Redeclares the kernel's hooks with the shapes this module passes (examples for
    /// script authors, the dry-run route and `policy check`).
    static void declareHooks(Policy& policy);

    /// The subject of a hook about `user` before they hold a credential (a sign-in, a token
    /// made with a password): the user's policySubject with the exchange's address.
    static Poco::JSON::Object::Ptr subjectOf(const User& user, HttpExchange& exchange);

    /// The `login` hook, after the credentials (and the second factor) were verified and
    /// before the session is issued. `method`: "password", "mfa", "mfa_setup" or "guest".
    /// A deny is audited, raised as login_failed (reason policy_denied) and thrown as
    /// HttpError(403, reason, "policy_denied"). It does not feed the lockout: the password
    /// was right, and a user refused outside office hours must not be locked out of them.
    void requireLoginAllowed(const User& user, HttpExchange& exchange, const std::string& method);

    /// The `register` hook before an account is created; subject: the caller. Throws like
    /// requireLoginAllowed (audited, no event).
    void requireRegistrationAllowed(const std::string& username, const std::string& role,
                                    const std::vector<std::string>& groups, HttpExchange& exchange);

    /// The `token` hook before an API token is created. `lifetimeSeconds` 0 = never expires.
    /// Returns the lifetime to use: the same, or the smaller one a handler returned in
    /// `expires_in_seconds`. A deny throws HttpError(403, reason, "policy_denied"); a handler
    /// that changes anything else throws HttpError(403, "policy error") and logs what it changed.
    std::int64_t tokenLifetime(const User& user, const std::string& label, std::int64_t lifetimeSeconds,
                               HttpExchange& exchange);

    /// Raises the asynchronous `login_failed` event: subject {username, address}, fields
    /// {username, address, reason} (bad_credentials, mfa_failed, locked, policy_denied).
    void loginFailed(const std::string& username, const Poco::Net::IPAddress& client, const std::string& reason);

private:
    /// Audits the refusal and throws HttpError(403, reason or `fallback`, "policy_denied").
    [[noreturn]] void refuse(const std::string& action, const std::string& actor, const std::string& target,
                             HttpExchange& exchange, std::string reason, const std::string& fallback);

    AuthServices& _services;
};

} // namespace comfygate::auth
