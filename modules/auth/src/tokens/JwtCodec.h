#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace comfygate::auth {

/// Why a token was refused. reason() is one of: "malformed", "unsupported algorithm",
/// "unknown key", "bad signature", "missing exp", "expired", "not yet valid",
/// "wrong issuer", "wrong audience", "missing jti", "wrong type". Safe to log; never
/// contains token content.
class JwtError : public std::runtime_error
{
public:
    explicit JwtError(const std::string& reason);
    const std::string& reason() const { return _reason; }

private:
    std::string _reason;
};

/// Session JWTs (RFC 7519), HS256 only, following RFC 8725 and ASVS V9: the algorithm is
/// pinned, `kid` only selects from the in-memory key table, the MAC is recomputed with
/// OpenSSL and compared in constant time before any claim is read, and exp/nbf/iat/iss/
/// aud/jti/token_use are all checked. Immutable after construction, so thread-safe.
class JwtCodec
{
public:
    struct Claims
    {
        std::string subject;
        std::string jti;
        std::int64_t issuedAt = 0;
        std::int64_t notBefore = 0;
        std::int64_t expiresAt = 0;
        /// Carried in the `token_use` claim; verify() accepts only "session".
        std::string type = "session";
        /// Optional, in the `session_kind` claim (e.g. "web", "swarm"); omitted when empty.
        std::string sessionKind;
    };

    static constexpr std::size_t minKeyBytes = 32;
    /// Longer tokens are refused as malformed before any decoding.
    static constexpr std::size_t maxTokenBytes = 8192;

    /// `keysById` maps key ids to raw secret bytes (each ≥ 32 bytes); tokens are signed with
    /// `currentKeyId` and verified with any key in the table (rotation: keep old keys until
    /// the longest token lifetime has passed). Throws std::invalid_argument for short keys,
    /// an unknown current key id, an empty issuer or audience, or a leeway outside 0..60 s.
    JwtCodec(std::map<std::string, std::string> keysById, std::string currentKeyId,
             std::string issuer, std::string audience,
             std::chrono::seconds leeway = std::chrono::seconds(60));

    /// Compact JWS with header {"alg":"HS256","typ":"JWT","kid":currentKeyId} and claims
    /// sub, jti, iat, nbf, exp, iss, aud, token_use[, session_kind]. Throws
    /// std::invalid_argument when subject or jti is empty or expiresAt <= issuedAt.
    std::string sign(const Claims& claims) const;

    /// The claims of `token` at time `now` (Unix seconds), or JwtError.
    Claims verify(const std::string& token, std::int64_t now) const;

    const std::string& currentKeyId() const { return _currentKeyId; }
    const std::string& issuer() const { return _issuer; }
    const std::string& audience() const { return _audience; }

private:
    std::string mac(const std::string& key, const std::string& signingInput) const;

    std::map<std::string, std::string> _keysById;
    std::string _currentKeyId;
    std::string _issuer;
    std::string _audience;
    std::int64_t _leeway;
};

} // namespace comfygate::auth
