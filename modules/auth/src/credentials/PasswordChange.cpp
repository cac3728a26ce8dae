#include "PasswordChange.h"

#include "AuthServices.h"
#include "CredentialChecker.h"
#include "comfygate/HttpError.h"

namespace comfygate::auth {

void PasswordChange::apply(const std::string& username, const std::string& currentPassword,
                           const std::string& newPassword, const Poco::Net::IPAddress& client,
                           const std::string& keepSessionJti)
{
    const User user = CredentialChecker(_services).check(username, currentPassword, client);
    if (const auto problem = _services.passwordPolicy.problem(newPassword, user.username))
        throw HttpError(400, *problem, "invalid_input");
    _services.users.setPassword(user.id, _services.hasher.hash(newPassword));
    _services.sessions.revokeForUser(user.id, keepSessionJti);
    _services.audit(user.username, "password.change", user.username, client.toString());
}

} // namespace comfygate::auth
