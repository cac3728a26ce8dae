#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace comfygate::services {

/// Per-user third-party keys (`civitai`, `huggingface`, `stability`, ...), sealed at rest with
/// AES-256-GCM bound to the user and provider; published by the auth module as "auth.secrets".
/// Values are never returned to clients: only `use()` hands one to server-side code.
class UserSecrets
{
public:
    static constexpr const char* serviceName = "auth.secrets";

    virtual ~UserSecrets() = default;

    /// Stores (or replaces) the key; an empty secret clears it.
    virtual void set(const std::string& userId, const std::string& provider, const std::string& secret) = 0;
    virtual void clear(const std::string& userId, const std::string& provider) = 0;
    /// The providers the user has a key for.
    virtual std::vector<std::string> providers(const std::string& userId) = 0;
    /// The key, for server-side use only (e.g. a download's Authorization header).
    virtual std::optional<std::string> use(const std::string& userId, const std::string& provider) = 0;
    /// When the key was last set (Unix seconds), 0 when the user has none: what a status page
    /// may show instead of the key (SwarmUI's GetAPIKeyStatus).
    virtual std::int64_t updatedAt(const std::string& userId, const std::string& provider) = 0;
};

} // namespace comfygate::services
