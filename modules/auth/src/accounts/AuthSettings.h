#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace comfygate {
class Config;
}

namespace comfygate::auth {

/// The auth module's configuration (`auth.*`, documented in etc/comfygate.properties), read
/// and checked once at start so a bad value stops startup naming the key.
struct AuthSettings
{
    std::int64_t sessionSeconds = 12 * 3600;
    std::int64_t idleSeconds = 30 * 60;
    std::size_t credentialCacheEntries = 10000; ///< 0: every request reads its credential
    bool allowRegistration = false;
    bool allowGuestJwt = false;
    bool mfaDisabled = false;
    bool mfaEnforced = false; ///< experimental.mfa: roles with mfa_required must enrol
    std::size_t passwordMinLength = 8;
    std::uint32_t argon2MemoryKiB = 19456;
    std::uint32_t argon2Iterations = 2;
    std::uint32_t argon2Parallelism = 1;
    unsigned hashConcurrency = 2;
    std::vector<std::pair<int, int>> lockoutSteps{{3, 60}, {6, 90}, {9, 300}};
    int blacklistAfter = 10;
    int blacklistSeconds = 24 * 3600;
    std::int64_t ipListsRefreshSeconds = 5;
    std::string jwtKeyId = "k1";
    std::vector<std::string> jwtPreviousKeyIds;
    std::string issuer = "comfygate";
    std::string audience = "comfygate";
    std::vector<std::string> queryTokenPaths{"/ws", "/api/ws"};
    std::vector<std::string> allowedOrigins;
    std::string baseUrl;
    std::int64_t apiTokenDefaultHours = 720;
    std::int64_t apiTokenMaxHours = 8760;
    std::string totpIssuer = "comfygate";

    /// Throws std::invalid_argument naming the key.
    static AuthSettings read(const Config& global);
};

} // namespace comfygate::auth
