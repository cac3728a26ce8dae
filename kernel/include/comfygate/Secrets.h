#pragma once

#include <cstddef>
#include <string>

namespace comfygate {

/// AES-256-GCM sealing with the server key (`SECRET_KEY`, else a generated 0600 key file in
/// the data directory). Use it for third-party API keys and TOTP secrets at rest.
class Secrets
{
public:
    virtual ~Secrets() = default;

    /// Encrypts with a fresh random nonce. `associatedData` binds the ciphertext to its place
    /// (e.g. "user:42|civitai") so that a copy moved to another row fails to open.
    /// @return a printable string (version, nonce, ciphertext and tag, base64).
    virtual std::string seal(const std::string& plaintext, const std::string& associatedData) = 0;

    /// Decrypts; throws std::runtime_error when the data was tampered with, sealed with
    /// another key or bound to other associated data.
    virtual std::string open(const std::string& sealed, const std::string& associatedData) = 0;

    /// A key derived from the server key for one purpose (HKDF-SHA-256), e.g. the session
    /// JWT signing key ("jwt-hs256"). Stable across restarts while the server key is.
    virtual std::string deriveKey(const std::string& purpose, std::size_t length) = 0;
};

} // namespace comfygate
