#pragma once

#include "CredentialCache.h"
#include "VerifiedTokenCache.h"
#include "comfygate/Authenticator.h"
#include "comfygate/Principal.h"

#include <optional>
#include <string>

namespace comfygate::auth {

struct AuthServices;
struct User;

/// Where a credential was found; decides what it may be used for.
enum class CredentialSource
{
    Bearer,    ///< Authorization: Bearer
    ApiKey,    ///< X-API-Key (Comfy Cloud routes)
    Cookie,    ///< jwt_token / swarm_token cookie (browsers; CSRF-checked)
    Query,     ///< ?token= / ?access_token= on auth.query_token_paths (WebSocket clients)
    SwarmSession ///< SwarmUI session_id (body or X-Session-ID) on /API/*
};

/// The credential a request carries, before it is checked.
struct Credential
{
    std::string value;
    CredentialSource source;
};

/// The auth module's Authenticator: blocked addresses first, then one credential per
/// request — an API token (SHA-256 lookup), a session JWT (signature, claims, then the
/// session row: revoked, expired or idle sessions fail at once) or a SwarmUI session_id bound
/// to the credential that created it. Cookie-borne credentials on state-changing requests
/// need an allowed Origin (CSRF). API tokens are never accepted from cookies.
class TokenAuthenticator : public Authenticator
{
public:
    explicit TokenAuthenticator(AuthServices& services) : _services(services) {}

    std::optional<Principal> authenticate(Poco::Net::HTTPServerRequest& request, const ClientInfo& client) override;

    /// Checks a raw credential (also used by routes that take a token in their body).
    /// Throws HttpError(401) when it is not valid.
    Principal verify(const Credential& credential, std::int64_t now);

    /// The principal of a user (role, groups, SFW flag), without permissions.
    static Principal principalOf(const User& user, const std::string& tokenKind, const std::string& sessionId);

    /// The credential of a request, if any (no checks).
    std::optional<Credential> find(const Poco::Net::HTTPServerRequest& request, const ClientInfo& client) const;

private:
    enum class SessionState
    {
        Valid,
        Ended,   ///< revoked
        Expired,
        Idle,    ///< unused longer than auth.session_idle_minutes
        Invalid  ///< another user's, or issued before the user's tokens_valid_after
    };

    /// Why an API token row (created_at, expires_at) refuses at `now`; empty when it is good.
    static std::string apiTokenProblem(const CredentialCache::Row& row, std::int64_t now);
    /// What a session row (revoked, expires_at, last_used_at) says about `claims` at `now`.
    SessionState sessionState(const CredentialCache::Row& row, const JwtCodec::Claims& claims, std::int64_t now) const;
    void remember(const std::string& cacheKey, CredentialCache::Row row, std::uint64_t epoch);
    /// A SwarmUI session_id with its user and the credential it is bound to: the values are
    /// credential_kind, credential_id, created_at, last_used_at, then the credential's revoked,
    /// expires_at and last_used_at (an API token has no idle time: 0).
    std::optional<CredentialCache::Row> readSwarmSession(const std::string& sessionHash);
    /// Whether such a row authenticates at `now`: its credential neither revoked, expired nor
    /// (a session) idle, the session_id itself not idle and made after the user's
    /// tokens_valid_after.
    bool swarmSessionAccepted(const CredentialCache::Row& row, std::int64_t now) const;

    Principal verifyApiToken(const std::string& token, std::int64_t now);
    Principal verifySessionJwt(const std::string& token, std::int64_t now);
    Principal verifySwarmSession(const std::string& sessionId, std::int64_t now);
    void checkOrigin(const Poco::Net::HTTPServerRequest& request, const ClientInfo& client) const;

    AuthServices& _services;
    VerifiedTokenCache _cache;
};

} // namespace comfygate::auth
