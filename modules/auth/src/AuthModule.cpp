// The auth module: accounts, roles, sessions, API tokens, MFA and lockout. It installs the
// kernel's authenticator, so every other module trusts the principal it puts on a request.
#include "AdminRoutes.h"
#include "AuthPolicy.h"
#include "AuthServices.h"
#include "LoginRoutes.h"
#include "MeRoutes.h"
#include "MfaRoutes.h"
#include "ModuleMigrations.h"
#include "SwarmRoutes.h"
#include "SwarmTokenRoutes.h"
#include "TokenAuthenticator.h"
#include "TokenRoutes.h"
#include "UserCommands.h"
#include "UserDirectoryService.h"
#include "comfygate/EventBus.h"
#include "comfygate/Metrics.h"
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"

#include <memory>

namespace comfygate::auth {

class AuthModule : public Module
{
public:
    void start(ModuleContext& context) override
    {
        context.database().migrate(context.moduleName(), moduleMigrations());
        declarePermissions(context.permissions());
        AuthPolicy::declareHooks(context.policy());
        _services = std::make_shared<AuthServices>(context, AuthSettings::read(context.globalConfig()));
        restoreRuntimeSettings(context);
        // Another instance on the same database changed them (or this one did).
        _settingsSubscription = context.events().subscribe([this, &context](const Event& event) {
            if (event.type == AuthServices::runtimeSettingsChanged)
                restoreRuntimeSettings(context);
            else if (event.type == AuthServices::ipListsChanged)
                _services->ipLists.invalidate();
        });
        _services->users.ensureGuest(unixNow());

        context.setAuthenticator(std::make_shared<TokenAuthenticator>(*_services));
        _login = std::make_unique<LoginRoutes>(*_services);
        _tokens = std::make_unique<TokenRoutes>(*_services);
        _me = std::make_unique<MeRoutes>(*_services);
        _mfa = std::make_unique<MfaRoutes>(*_services);
        _admin = std::make_unique<AdminRoutes>(*_services);
        _swarm = std::make_unique<SwarmRoutes>(*_services);
        _swarmTokens = std::make_unique<SwarmTokenRoutes>(*_services);
        _login->registerAll(context.routes());
        _tokens->registerAll(context.routes());
        _me->registerAll(context.routes());
        _mfa->registerAll(context.routes());
        _admin->registerAll(context.routes());
        _swarm->registerAll(context.routes());
        _swarmTokens->registerAll(context.routes());
        _commands = std::make_unique<UserCommands>(*_services);
        _commands->registerAll(context.cli());

        context.services().publish<services::UserDirectory>(
            services::UserDirectory::serviceName, std::make_shared<UserDirectoryService>(_services->users));
        context.services().publish<services::UserSecrets>(
            services::UserSecrets::serviceName,
            std::shared_ptr<services::UserSecrets>(_services, &_services->secrets));

        _sweeper = context.scheduler().every(std::chrono::seconds(60), [services = _services] {
            const std::int64_t now = unixNow();
            services->sweptSessions.revokeIdle(services->settings.idleSeconds, now);
            services->sweptSessions.purgeExpired(now);
            services->sweptSwarmSessions.purgeStale(services->settings.idleSeconds, now);
        });
        context.metrics().gauge("auth_users", "user accounts (without the built-in guest)",
                                [services = _services] { return static_cast<double>(services->users.countAccounts()); });

        exportCredentialCacheMetrics(context.metrics());

        if (!context.globalConfig().getBool("auth.require_auth_for_remote_api", true))
            context.logger().warning("auth.require_auth_for_remote_api is off, but comfygate has no unauthenticated "
                                     "access for local clients: every protected route still needs a token");
        if (context.serving() && _services->users.countAccounts() == 0) // a CLI command is not the moment
            context.logger().warning("no user exists yet: create the owner with `comfygate user add NAME --role owner "
                                     "--password-stdin`, or POST /register from this machine");
        _context = &context;
    }

    void stop() noexcept override
    {
        if (_context && _sweeper)
            _context->scheduler().cancel(_sweeper);
        if (_context && _settingsSubscription)
            _context->events().unsubscribe(_settingsSubscription);
        _commands.reset();
        _swarmTokens.reset();
        _swarm.reset();
        _admin.reset();
        _mfa.reset();
        _me.reset();
        _tokens.reset();
        _login.reset();
    }

private:
    static void declarePermissions(PermissionRegistry& permissions)
    {
        permissions.declare({"can_manage_users", "administer users, roles, IP lists and settings", "auth", {"admin"}});
        permissions.declare({"can_have_api_tokens", "create long-lived API tokens", "auth", {"admin", "power"}});
        permissions.declare({"can_have_non_expiring_jwt", "create API tokens that never expire", "auth", {}});
        permissions.declare({"mfa_required", "must enrol in MFA (when experimental.mfa is on)", "auth", {"admin"}});
        permissions.declare({"can_see_restricted_settings", "see restricted settings in the UI", "auth", {"admin"}});
        permissions.declare({"can_view_console", "see the server console in the UI", "auth", {}});
        SwarmRoutes::declarePermissions(permissions);
    }

    void exportCredentialCacheMetrics(Metrics& metrics)
    {
        const CredentialCache& cache = _services->credentials;
        metrics.gauge("auth_credential_cache_entries", "verified credentials held (auth.credential_cache_entries)",
                      [services = _services, &cache] { return static_cast<double>(cache.size()); });
        metrics.gauge("auth_credential_cache_capacity", "the most verified credentials held (0: off)",
                      [services = _services, &cache] { return static_cast<double>(cache.capacity()); });
        metrics.gauge("auth_credential_cache_hits", "requests whose credential came from the cache, since start",
                      [services = _services, &cache] { return static_cast<double>(cache.hits()); });
        metrics.gauge("auth_credential_cache_misses", "requests whose credential was read from the database, since start",
                      [services = _services, &cache] { return static_cast<double>(cache.misses()); });
        metrics.gauge("auth_revocation_epoch", "changes that may revoke a credential (all processes on this data directory)",
                      [services = _services] { return static_cast<double>(services->revocationEpoch->current()); });
    }

    void restoreRuntimeSettings(ModuleContext& context)
    {
        if (const auto groups = _services->runtimeSettings.get("groups")) {
            try {
                context.permissions().setGroups(*groups);
            } catch (const std::exception& e) {
                context.logger().error("the stored role table is not valid any more (%s); using the groups file",
                                       std::string(e.what()));
            }
        }
        if (const auto guest = _services->runtimeSettings.get("allow_guest_jwt"))
            _services->allowGuestJwt = *guest == "true";
    }

    std::shared_ptr<AuthServices> _services;
    std::unique_ptr<LoginRoutes> _login;
    std::unique_ptr<TokenRoutes> _tokens;
    std::unique_ptr<MeRoutes> _me;
    std::unique_ptr<MfaRoutes> _mfa;
    std::unique_ptr<AdminRoutes> _admin;
    std::unique_ptr<SwarmRoutes> _swarm;
    std::unique_ptr<SwarmTokenRoutes> _swarmTokens;
    std::unique_ptr<UserCommands> _commands;
    Scheduler::TimerId _sweeper = 0;
    ModuleContext* _context = nullptr;
    EventBus::SubscriptionId _settingsSubscription = 0;
};

} // namespace comfygate::auth

COMFYGATE_MODULE(comfygate::auth::AuthModule, "auth", "1.0.0")
