#pragma once

#include "comfygate/Secrets.h"

#include <array>
#include <cstddef>
#include <string>

namespace comfygate {

/// The kernel's Secrets: AES-256-GCM (OpenSSL EVP) under a 32-byte master key.
///
/// Master key: when `SECRET_KEY` is set (at least 32 bytes), HKDF-SHA-256 of it with the salt
/// "comfygate/secret-key/v1" and the info "master-key"; otherwise 32 random bytes kept in the
/// key file (64 hex digits), created 0600 atomically on first start and refused when group or
/// others may access it. Changing either the key or this derivation makes every sealed value
/// unreadable.
///
/// Sealing uses a subkey, HKDF-SHA-256(master, salt "comfygate/seal/v1", info
/// "aes-256-gcm"); deriveKey() uses HKDF-SHA-256(master, no salt, info = purpose). The
/// different salts keep the sealing key apart from every purpose a caller may name.
///
/// Sealed format: "v1." + base64url without padding of (12-byte random nonce, ciphertext,
/// 16-byte tag); the associated data is the GCM AAD. Thread safe: the keys never change
/// after construction and every call uses its own cipher context.
class SealedSecrets : public Secrets
{
public:
    /// The shortest SECRET_KEY accepted, in bytes.
    static constexpr std::size_t minimumSecretKeyLength = 32;

    /// Uses `secretKeyOrEmpty` when it is not empty (the key file is then not touched), else
    /// reads or creates the key file at `keyFilePath`, whose directory must exist.
    /// @throw std::runtime_error when SECRET_KEY is too short, or the key file is unsafe,
    /// malformed, or cannot be read or created; the message says what to fix.
    SealedSecrets(const std::string& secretKeyOrEmpty, const std::string& keyFilePath);

    /// Wipes the keys.
    ~SealedSecrets() override;

    SealedSecrets(const SealedSecrets&) = delete;
    SealedSecrets& operator=(const SealedSecrets&) = delete;

    std::string seal(const std::string& plaintext, const std::string& associatedData) override;

    /// @throw std::runtime_error("sealed data could not be opened (tampered, wrong key or
    /// wrong context)") for any malformed, tampered or foreign input.
    std::string open(const std::string& sealed, const std::string& associatedData) override;

    /// `length` raw bytes (1 to 8160).
    /// @throw std::invalid_argument for a length outside that range.
    std::string deriveKey(const std::string& purpose, std::size_t length) override;

private:
    using Key = std::array<unsigned char, 32>;

    void loadOrCreateKeyFile(const std::string& path);
    void readKeyFile(int fd, const std::string& path);
    void createKeyFile(const std::string& path);

    Key _masterKey{};
    Key _sealingKey{};
};

} // namespace comfygate
