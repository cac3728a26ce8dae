#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace comfygate::auth {

/// Which new passwords are acceptable (ASVS 5.0 V6.2): a minimum length in characters, a
/// maximum in bytes, not the username, not one of the most common passwords. No composition
/// rules (6.2.5); the password is never truncated or case-folded (6.2.8) — the case-blind
/// comparisons below only decide acceptance.
class PasswordPolicy
{
public:
    /// `minLength` counts Unicode code points and must be at least 8 (ASVS 6.2.1);
    /// `maxBytes` must allow 64 characters of any script (≥ 256, ASVS 6.2.9) and stay within
    /// PasswordHasher::maxPasswordBytes (1024). Throws std::invalid_argument otherwise.
    explicit PasswordPolicy(std::size_t minLength = 8, std::size_t maxBytes = 1024);

    /// std::nullopt when `password` is acceptable for the account `username`, otherwise one
    /// sentence telling the person what to change.
    std::optional<std::string> problem(const std::string& password,
                                       const std::string& username) const;

    /// True when `password`, compared without regard to ASCII case, is on the compiled-in
    /// list of common passwords.
    static bool isCommon(const std::string& password);

    /// Number of entries in the common-password list.
    static std::size_t commonPasswordCount();

    std::size_t minLength() const { return _minLength; }
    std::size_t maxBytes() const { return _maxBytes; }

private:
    std::size_t _minLength;
    std::size_t _maxBytes;
};

} // namespace comfygate::auth
