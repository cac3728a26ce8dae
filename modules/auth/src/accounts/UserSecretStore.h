#pragma once

#include "comfygate/Database.h"
#include "comfygate/Secrets.h"
#include "comfygate/services/UserSecrets.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace comfygate::auth {

/// Per-user third-party keys (table user_secrets), sealed with AES-256-GCM and the AAD
/// "user:<id>|<provider>", so that a value copied to another row does not open. Provider
/// names match ^[a-z0-9_-]{1,32}$ (std::invalid_argument otherwise). The auth module
/// publishes it as services::UserSecrets. Thread safe.
class UserSecretStore : public services::UserSecrets
{
public:
    UserSecretStore(Database& database, Secrets& secrets);

    /// An empty secret clears. Throws std::invalid_argument for a bad provider or an unknown
    /// user.
    void set(const std::string& userId, const std::string& provider,
             const std::string& secret) override;
    void clear(const std::string& userId, const std::string& provider) override;
    /// Sorted.
    std::vector<std::string> providers(const std::string& userId) override;
    /// Throws std::runtime_error when the stored value does not open (server key changed or
    /// the row was tampered with).
    std::optional<std::string> use(const std::string& userId, const std::string& provider) override;

    /// When the key was last set (Unix seconds); 0 when there is none.
    std::int64_t updatedAt(const std::string& userId, const std::string& provider) override;

private:
    Database& _database;
    Secrets& _secrets;
};

} // namespace comfygate::auth
