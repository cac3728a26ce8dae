#pragma once

#include <Poco/Net/IPAddress.h>

#include <string>

namespace comfygate::auth {

struct AuthServices;

/// A user changing their own password, for every route that offers it (SwarmUI's
/// ChangePassword, POST /mss-login/api/me/password): the current password is checked like a
/// sign-in (lockouts, counted failures), the new one against the password policy; then the
/// user's other sessions end and the change is audited.
class PasswordChange
{
public:
    explicit PasswordChange(AuthServices& services) : _services(services) {}

    /// Throws HttpError: 401 invalid_login (wrong current password), 403 locked, 503 busy,
    /// 400 invalid_input (the policy's reason). `keepSessionJti`: the session that stays
    /// signed in ("" ends all of them).
    void apply(const std::string& username, const std::string& currentPassword, const std::string& newPassword,
               const Poco::Net::IPAddress& client, const std::string& keepSessionJti);

private:
    AuthServices& _services;
};

} // namespace comfygate::auth
