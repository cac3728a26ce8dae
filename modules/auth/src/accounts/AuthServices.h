#pragma once

#include "ApiTokenStore.h"
#include "AuthSettings.h"
#include "AuthSettingsStore.h"
#include "CredentialCache.h"
#include "IpListStore.h"
#include "JwtCodec.h"
#include "LoginThrottle.h"
#include "MfaStore.h"
#include "PasswordHasher.h"
#include "PasswordPolicy.h"
#include "RevocationEpoch.h"
#include "RevocationTrackingDatabase.h"
#include "SessionStore.h"
#include "SwarmSessionStore.h"
#include "UserSecretStore.h"
#include "UserStore.h"

#include <atomic>
#include <memory>

namespace comfygate {
class Audit;
class Database;
class ModuleContext;
class PermissionRegistry;
} // namespace comfygate

namespace comfygate::auth {

/// Everything the auth module's handlers share: settings, stores, codecs and the kernel
/// services they use. Built once in AuthModule::start().
struct AuthServices
{
    AuthServices(ModuleContext& context, AuthSettings settings);

    ModuleContext& context;
    AuthSettings settings;
    /// Advanced by every committed write of the stores below (through `trackedDatabase`),
    /// shared with the CLI through the data directory on SQLite; see CredentialCache.
    std::unique_ptr<RevocationEpoch> revocationEpoch;
    RevocationTrackingDatabase trackedDatabase;
    CredentialCache credentials;
    UserStore users;
    SessionStore sessions;
    /// The minute sweep's view of the sessions, around the revocation tracking: it only
    /// revokes idle sessions and deletes expired or revoked ones, which a cache hit refuses
    /// by itself (TokenAuthenticator checks expiry and idle time on every hit), so it need not
    /// empty the credential cache every minute.
    SessionStore sweptSessions;
    ApiTokenStore apiTokens;
    MfaStore mfa;
    LoginThrottle throttle;
    IpListStore ipLists;
    UserSecretStore secrets;
    SwarmSessionStore swarmSessions;
    /// The sweep's view of the SwarmUI sessions, around the revocation tracking as for
    /// sweptSessions: it deletes idle session_ids and those whose credential is gone, which a
    /// cache hit refuses by itself.
    SwarmSessionStore sweptSwarmSessions;
    AuthSettingsStore runtimeSettings;
    PasswordHasher hasher;
    PasswordPolicy passwordPolicy;
    JwtCodec jwt;
    std::atomic<bool> allowGuestJwt;

    /// Records an audit entry; never lets a failure of the log hide the change's own error.
    /// Tells every instance on the database (and this one) to re-read what was just stored:
    /// the runtime settings (role table, guest JWT: runtimeSettingsChanged) or the IP lists
    /// (ipListsChanged, so a block holds on every instance from the next request, not after the
    /// lists' 5 s refresh). An event whose audience is the user with the empty id, which no
    /// connection has, so no WebSocket client receives it.
    void announce(const char* change);
    static constexpr const char* runtimeSettingsChanged = "auth_runtime_settings_changed";
    static constexpr const char* ipListsChanged = "auth_ip_lists_changed";

    void audit(const std::string& actor, const std::string& action, const std::string& target,
               const std::string& client, const std::string& detailJson = {});
};

/// Current Unix time in seconds.
std::int64_t unixNow();

} // namespace comfygate::auth
