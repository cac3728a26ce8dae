#include "CredentialChecker.h"

#include "AuthPolicy.h"
#include "AuthServices.h"
#include "comfygate/HttpError.h"

namespace comfygate::auth {

void CredentialChecker::requireNotLocked(const std::string& username, const Poco::Net::IPAddress& client)
{
    const auto remaining = _services.throttle.lockedFor(client.toString(), username, unixNow());
    if (!remaining || *remaining <= 0)
        return;
    AuthPolicy(_services).loginFailed(username, client, "locked");
    throw HttpError(403, "too many failed attempts: try again in " + std::to_string(*remaining) + " seconds",
                    "ratelimit")
        .withExtra("{\"remaining_seconds\":" + std::to_string(*remaining) + "}");
}

void CredentialChecker::recordFailure(const std::string& username, const Poco::Net::IPAddress& client,
                                      const std::string& reason)
{
    const std::int64_t now = unixNow();
    const std::string ip = client.toString();
    _services.throttle.recordFailure(ip, username, now);
    _services.audit(username.empty() ? "-" : username, "login.failure", username, ip);
    if (_services.throttle.shouldBlacklist(ip)) {
        _services.ipLists.addToBlacklist(ip, now + _services.settings.blacklistSeconds, "repeated login failures");
        _services.announce(AuthServices::ipListsChanged);
        _services.audit("system", "ip.blacklist", ip, ip);
    }
    AuthPolicy(_services).loginFailed(username, client, reason);
}

User CredentialChecker::check(const std::string& username, const std::string& password,
                              const Poco::Net::IPAddress& client)
{
    requireNotLocked(username, client);
    if (password.size() > 1024)
        throw HttpError(400, "the password is longer than 1024 bytes");
    bool ok = false;
    std::optional<User> user;
    try {
        user = _services.users.findByName(username);
        if (user && !user->builtin && !user->passwordHash.empty())
            ok = _services.hasher.verify(user->passwordHash, password);
        else
            _services.hasher.dummyVerify(password); // same time for unknown users
    } catch (const HasherBusy&) {
        throw HttpError(503, "the server is busy checking other logins: retry in a moment", "busy");
    }
    if (!ok) {
        recordFailure(username, client, "bad_credentials");
        throw HttpError(401, "Invalid credentials", "invalid_login");
    }
    // Told only after the right password, so the answer reveals nothing to a guesser.
    if (user->disabled) {
        _services.audit(user->username, "login.disabled", user->username, client.toString());
        throw HttpError(403, "this account is disabled: ask an administrator to enable it", "account_disabled");
    }
    // Only the account is cleared: a success on an account of their own must not reset an
    // attacker's per-address counter.
    _services.throttle.unlock(LoginThrottle::userKey(username));
    if (_services.hasher.needsRehash(user->passwordHash))
        _services.users.setPassword(user->id, _services.hasher.hash(password));
    return *user;
}

} // namespace comfygate::auth
