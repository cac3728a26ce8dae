#include "AuthSettings.h"

#include "comfygate/Config.h"

#include <Poco/NumberParser.h>
#include <Poco/StringTokenizer.h>

#include <stdexcept>

namespace comfygate::auth {
namespace {

long long bounded(const Config& config, const std::string& key, long long fallback, long long low, long long high)
{
    const long long value = config.getInt(key, fallback);
    if (value < low || value > high)
        throw std::invalid_argument("configuration key " + key + ": " + std::to_string(value) + " is outside " +
                                    std::to_string(low) + ".." + std::to_string(high));
    return value;
}

std::vector<std::pair<int, int>> parseSteps(const Config& config)
{
    // "3:60,6:90,9:300": after N failures, wait S seconds.
    std::vector<std::pair<int, int>> steps;
    for (const auto& item : config.getList("auth.lockout_steps", {"3:60", "6:90", "9:300"})) {
        const auto colon = item.find(':');
        int failures = 0;
        int seconds = 0;
        if (colon == std::string::npos || !Poco::NumberParser::tryParse(item.substr(0, colon), failures) ||
            !Poco::NumberParser::tryParse(item.substr(colon + 1), seconds) || failures < 1 || seconds < 1 ||
            (!steps.empty() && failures <= steps.back().first))
            throw std::invalid_argument("configuration key auth.lockout_steps: '" + item +
                                        "' must be FAILURES:SECONDS with increasing failures");
        steps.emplace_back(failures, seconds);
    }
    return steps;
}

} // namespace

AuthSettings AuthSettings::read(const Config& config)
{
    AuthSettings s;
    s.sessionSeconds = bounded(config, "auth.session_hours", 12, 1, 24 * 30) * 3600;
    s.idleSeconds = bounded(config, "auth.session_idle_minutes", 30, 1, 24 * 60) * 60;
    s.credentialCacheEntries =
        static_cast<std::size_t>(bounded(config, "auth.credential_cache_entries", 10000, 0, 10000000));
    s.allowRegistration = config.getBool("auth.allow_registration", false);
    s.allowGuestJwt = config.getBool("auth.allow_guest_jwt", false);
    s.mfaDisabled = config.getBool("auth.mfa_disabled", false);
    const bool master = config.getBool("experimental.enabled", false);
    s.mfaEnforced = config.getBool("experimental.mfa", master) || master;
    s.passwordMinLength = static_cast<std::size_t>(bounded(config, "auth.password_min_length", 8, 8, 128));
    s.argon2MemoryKiB = static_cast<std::uint32_t>(bounded(config, "auth.argon2.memory_kib", 19456, 7168, 4194304));
    s.argon2Iterations = static_cast<std::uint32_t>(bounded(config, "auth.argon2.iterations", 2, 1, 64));
    s.argon2Parallelism = static_cast<std::uint32_t>(bounded(config, "auth.argon2.parallelism", 1, 1, 16));
    s.hashConcurrency = static_cast<unsigned>(bounded(config, "auth.hash_concurrency", 2, 1, 256));
    s.lockoutSteps = parseSteps(config);
    s.blacklistAfter = static_cast<int>(bounded(config, "auth.blacklist_after_attempts", 10, 1, 100000));
    s.blacklistSeconds = static_cast<int>(bounded(config, "auth.blacklist_hours", 24, 1, 24 * 365) * 3600);
    s.ipListsRefreshSeconds = bounded(config, "auth.ip_lists_refresh_seconds", 5, 1, 86400);
    s.jwtKeyId = config.getString("auth.jwt_key_id", "k1");
    s.jwtPreviousKeyIds = config.getList("auth.jwt_previous_key_ids", {});
    for (const auto& id : s.jwtPreviousKeyIds) {
        if (id.empty() || id.size() > 32)
            throw std::invalid_argument("configuration key auth.jwt_previous_key_ids: bad key id '" + id + "'");
    }
    s.issuer = config.getString("auth.issuer", "comfygate");
    s.audience = config.getString("auth.audience", "comfygate");
    s.queryTokenPaths = config.getList("auth.query_token_paths", {"/ws", "/api/ws"});
    s.allowedOrigins = config.getList("http.allowed_origins", {});
    s.baseUrl = config.getString("http.base_url", "");
    s.apiTokenDefaultHours = bounded(config, "auth.api_token_default_hours", 720, 1, 8760);
    s.apiTokenMaxHours = bounded(config, "auth.api_token_max_hours", 8760, 1, 87600);
    s.totpIssuer = config.getString("auth.totp_issuer", "comfygate");
    return s;
}

} // namespace comfygate::auth
