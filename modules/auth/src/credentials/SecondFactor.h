#pragma once

#include "UserStore.h"

#include <Poco/Net/IPAddress.h>

#include <string>

namespace comfygate::auth {

struct AuthServices;

/// The second login step: a single-use mfa_temp_token (5 minutes, persisted) plus a TOTP code
/// (each time step usable once) or a backup code (single use). Five wrong codes end the temp
/// token; every wrong code also counts toward the login lockout.
class SecondFactor
{
public:
    struct Passed
    {
        User user;
        std::string payloadJson; ///< what the first step stored with the temp token
    };

    explicit SecondFactor(AuthServices& services) : _services(services) {}

    /// Throws HttpError: 400 bad code (with remaining_attempts), 401 unknown or expired token.
    Passed complete(const std::string& tempToken, const std::string& code, const std::string& backupCode,
                    const std::string& purpose, const Poco::Net::IPAddress& client);

    /// True when the code is a current, unused TOTP code for the user's active secret; marks it used.
    bool acceptCode(const std::string& userId, const std::string& code);

private:
    AuthServices& _services;
};

} // namespace comfygate::auth
