#include "AuthServices.h"

#include "comfygate/EventBus.h"
#include "comfygate/ModuleContext.h"

#include <Poco/Logger.h>

#include <chrono>

namespace comfygate::auth {
namespace {

std::map<std::string, std::string> signingKeys(Secrets& secrets, const AuthSettings& settings)
{
    // Session JWT keys are derived from the server key per key id, so rotating means
    // changing auth.jwt_key_id and listing the old id in auth.jwt_previous_key_ids.
    std::map<std::string, std::string> keys;
    keys[settings.jwtKeyId] = secrets.deriveKey("session-jwt-hs256:" + settings.jwtKeyId, 32);
    for (const auto& id : settings.jwtPreviousKeyIds)
        keys[id] = secrets.deriveKey("session-jwt-hs256:" + id, 32);
    return keys;
}

LoginThrottle::Settings throttleSettings(const AuthSettings& settings)
{
    LoginThrottle::Settings throttle;
    throttle.steps = settings.lockoutSteps;
    throttle.blacklistAfter = settings.blacklistAfter;
    throttle.blacklistSeconds = settings.blacklistSeconds;
    return throttle;
}

// On SQLite the server and the CLI share one data directory, so they share the epoch through a
// file there. On PostgreSQL several instances share the data but not a file: a cache could
// only see another instance's revocation by reading the database on every request, which is
// what the cache saves, so there it is off (module README, "Credential cache").
std::unique_ptr<RevocationEpoch> revocationEpochFor(ModuleContext& context)
{
    if (context.database().backend() != Database::Backend::SQLite)
        return std::make_unique<RevocationEpoch>();
    return std::make_unique<RevocationEpoch>(context.dataDir() + "/auth-revocation.epoch");
}

std::size_t credentialCacheEntries(ModuleContext& context, const AuthSettings& settings)
{
    return context.database().backend() == Database::Backend::SQLite ? settings.credentialCacheEntries : 0;
}

} // namespace

std::int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

AuthServices::AuthServices(ModuleContext& ctx, AuthSettings authSettings)
    : context(ctx), settings(std::move(authSettings)), revocationEpoch(revocationEpochFor(ctx)),
      trackedDatabase(ctx.database(), *revocationEpoch),
      credentials(*revocationEpoch, credentialCacheEntries(ctx, settings)), users(trackedDatabase),
      sessions(trackedDatabase, ctx.database()), sweptSessions(ctx.database()), apiTokens(trackedDatabase, ctx.database()),
      mfa(trackedDatabase, ctx.secrets()), throttle(ctx.database(), throttleSettings(settings)),
      ipLists(trackedDatabase, settings.ipListsRefreshSeconds), secrets(ctx.database(), ctx.secrets()),
      swarmSessions(trackedDatabase, ctx.database()), sweptSwarmSessions(ctx.database()), runtimeSettings(trackedDatabase),
      hasher(PasswordHasher::Parameters{settings.argon2MemoryKiB, settings.argon2Iterations, settings.argon2Parallelism},
             settings.hashConcurrency, std::chrono::milliseconds(5000)),
      passwordPolicy(settings.passwordMinLength, 1024),
      jwt(signingKeys(ctx.secrets(), settings), settings.jwtKeyId, settings.issuer, settings.audience),
      allowGuestJwt(settings.allowGuestJwt)
{
}

void AuthServices::announce(const char* change)
{
    context.events().publish(Event{change, "{}", Audience::user("")});
}

void AuthServices::audit(const std::string& actor, const std::string& action, const std::string& target,
                         const std::string& client, const std::string& detailJson)
{
    try {
        context.audit().record({actor, action, target, client, detailJson});
    } catch (const std::exception& e) {
        Poco::Logger::get("module.auth").error("audit record %s for %s failed: %s", action, target, std::string(e.what()));
        throw;
    }
}

} // namespace comfygate::auth
