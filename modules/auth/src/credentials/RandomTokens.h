#pragma once

#include <cstddef>
#include <string>

namespace comfygate::auth {

/// Secrets from the operating system's CSPRNG (OpenSSL RAND_bytes), their encodings, the
/// digest under which they are stored, and the comparison that does not leak where two
/// secrets differ.
class RandomTokens
{
public:
    /// `n` random bytes. Throws std::runtime_error when the CSPRNG fails (never falls back
    /// to a weaker source) and std::invalid_argument for absurd sizes.
    static std::string bytes(std::size_t n);
    /// `nBytes` random bytes as lower-case hex (2 * nBytes characters).
    static std::string hex(std::size_t nBytes);
    /// `nBytes` random bytes as base64url without padding (RFC 4648 §5); safe in URLs,
    /// cookies and headers.
    static std::string base64Url(std::size_t nBytes);
    /// SHA-256 of `text` as 64 lower-case hex characters: how tokens are stored.
    static std::string sha256Hex(const std::string& text);
    /// True when `a` and `b` are byte-for-byte equal. The time taken depends only on the
    /// lengths, never on where the content differs (CRYPTO_memcmp); different lengths are
    /// unequal.
    static bool constantTimeEquals(const std::string& a, const std::string& b);
};

} // namespace comfygate::auth
