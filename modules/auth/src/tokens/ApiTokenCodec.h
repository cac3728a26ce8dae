#pragma once

#include <cstddef>
#include <string>

namespace comfygate::auth {

/// Long-lived API tokens in the GitHub style (security baseline §2):
/// `cgt_` + 43 base62 characters (32 random bytes, 256 bits) + 6 base62 characters of the
/// CRC32 of those 43. The prefix makes leaked tokens recognisable to secret scanners; the
/// checksum lets the server reject typos and garbage without a database lookup. Only the
/// SHA-256 of a token is stored.
class ApiTokenCodec
{
public:
    static constexpr const char* prefix = "cgt_";
    static constexpr std::size_t randomChars = 43;
    static constexpr std::size_t checksumChars = 6;
    /// 4 + 43 + 6 = 53.
    static constexpr std::size_t tokenLength = 4 + randomChars + checksumChars;

    /// A fresh token from 32 CSPRNG bytes; shown to its owner once.
    static std::string generate();

    /// True when `token` has the prefix, the length, only base62 characters and a matching
    /// checksum. Says nothing about whether the token exists or is valid.
    static bool wellFormed(const std::string& token);

    /// SHA-256 of the token as 64 lower-case hex characters: the only form stored.
    static std::string hash(const std::string& token);

    /// The first 12 hex characters of a stored hash: a non-secret handle for listing and
    /// deleting tokens.
    static std::string displayPrefix(const std::string& hash);
};

} // namespace comfygate::auth
