#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace comfygate::auth {

/// Time-based one-time passwords (RFC 6238) with the parameters every authenticator app
/// understands: HMAC-SHA1, 6 digits, 30-second steps, T0 = 0. Stateless; the caller keeps
/// the last used step per user and commits it with a conditional update.
class Totp
{
public:
    static constexpr int digits = 6;
    static constexpr std::int64_t periodSeconds = 30;

    /// 20 random bytes (160 bits, RFC 4226 §4) as upper-case base32 without padding.
    static std::string generateSecret();

    /// The `otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`
    /// URI for QR codes, with issuer and account percent-encoded. Throws
    /// std::invalid_argument when the secret is not base32.
    static std::string provisioningUri(const std::string& issuer, const std::string& account,
                                       const std::string& base32Secret);

    /// The 6-digit code of time step `step`. The secret may be lower-case, padded with '='
    /// or contain spaces; throws std::invalid_argument when it is not base32 or empty.
    static std::string code(const std::string& base32Secret, std::int64_t step);

    /// The time step containing `unixSeconds` (floor((t - T0) / 30)).
    static std::int64_t stepAt(std::int64_t unixSeconds);

    /// The step matched by `code` when it equals the code of the step before, at or after
    /// `unixSeconds` AND that step is greater than `lastUsedStep` (a used code is never
    /// accepted again); otherwise std::nullopt. Codes that are not exactly 6 ASCII digits are
    /// refused. The comparison is constant-time and all three steps are always computed.
    /// Throws std::invalid_argument when the secret is not base32.
    static std::optional<std::int64_t> match(const std::string& base32Secret,
                                             const std::string& code, std::int64_t unixSeconds,
                                             std::int64_t lastUsedStep);
};

} // namespace comfygate::auth
