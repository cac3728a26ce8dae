#pragma once

#include "UserStore.h"

#include <Poco/Net/IPAddress.h>

#include <string>

namespace comfygate::auth {

struct AuthServices;

/// Checks a username and password the way every password route must: lockouts first (403
/// with remaining_seconds), the same work and answer for unknown users and wrong passwords,
/// failures counted per address and per account (persisted), automatic blacklisting, and a
/// rehash when the stored parameters are below the configured ones.
class CredentialChecker
{
public:
    explicit CredentialChecker(AuthServices& services) : _services(services) {}

    /// Returns the user, or throws HttpError: 401 invalid_login, 403 locked, 503 busy.
    User check(const std::string& username, const std::string& password, const Poco::Net::IPAddress& client);

    /// Throws the 403 lockout error when the address or account is locked (and raises the
    /// login_failed event with reason `locked`).
    void requireNotLocked(const std::string& username, const Poco::Net::IPAddress& client);

    /// Counts a failed second factor like a failed password and raises login_failed with
    /// `reason` (bad_credentials, mfa_failed).
    void recordFailure(const std::string& username, const Poco::Net::IPAddress& client, const std::string& reason);

private:
    AuthServices& _services;
};

} // namespace comfygate::auth
