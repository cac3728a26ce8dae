#include "SecondFactor.h"

#include "AuthServices.h"
#include "CredentialChecker.h"
#include "RandomTokens.h"
#include "Totp.h"
#include "comfygate/HttpError.h"

namespace comfygate::auth {

bool SecondFactor::acceptCode(const std::string& userId, const std::string& code)
{
    const auto secret = _services.mfa.activeSecret(userId);
    if (!secret)
        return false;
    // The step is committed with a conditional update, so two racing requests with the same
    // code cannot both pass.
    const auto step = Totp::match(*secret, code, unixNow(), -1);
    return step && _services.mfa.consumeStep(userId, *step);
}

SecondFactor::Passed SecondFactor::complete(const std::string& tempToken, const std::string& code,
                                            const std::string& backupCode, const std::string& purpose,
                                            const Poco::Net::IPAddress& client)
{
    const std::int64_t now = unixNow();
    const std::string hash = RandomTokens::sha256Hex(tempToken);
    const auto pending = _services.mfa.peekTempToken(hash, now);
    if (!pending || pending->purpose != purpose)
        throw HttpError(401, "the MFA step has expired or is unknown: sign in again");
    const auto user = _services.users.findById(pending->userId);
    if (!user)
        throw HttpError(401, "the MFA step has expired or is unknown: sign in again");
    CredentialChecker checker(_services);
    checker.requireNotLocked(user->username, client);

    bool ok = false;
    if (!code.empty())
        ok = acceptCode(user->id, code);
    else if (!backupCode.empty())
        ok = _services.mfa.consumeBackupCode(user->id, RandomTokens::sha256Hex(backupCode));
    else
        throw HttpError(400, "send code (from the authenticator app) or backup_code");

    if (!ok) {
        const int remaining = _services.mfa.recordTempTokenFailure(hash);
        checker.recordFailure(user->username, client, "mfa_failed");
        throw HttpError(400, remaining > 0 ? "Invalid code" : "Invalid code: too many attempts, sign in again",
                        "invalid_code")
            .withExtra("{\"remaining_attempts\":" + std::to_string(std::max(remaining, 0)) + "}");
    }
    const auto consumed = _services.mfa.consumeTempToken(hash, now);
    if (!consumed) // used by a concurrent request in between
        throw HttpError(401, "the MFA step has expired or is unknown: sign in again");
    // Only the account is cleared: a success on an account of their own must not reset an
    // attacker's per-address counter.
    _services.throttle.unlock(LoginThrottle::userKey(user->username));
    return Passed{*user, consumed->payloadJson};
}

} // namespace comfygate::auth
