#pragma once

#include "comfygate/Audit.h"
#include "comfygate/Authenticator.h"
#include "comfygate/Cli.h"
#include "comfygate/Config.h"
#include "comfygate/Database.h"
#include "comfygate/EventBus.h"
#include "comfygate/HttpClient.h"
#include "comfygate/Metrics.h"
#include "comfygate/Permissions.h"
#include "comfygate/Policy.h"
#include "comfygate/Route.h"
#include "comfygate/Scheduler.h"
#include "comfygate/Secrets.h"
#include "comfygate/ServiceRegistry.h"

#include <Poco/Logger.h>

#include <memory>
#include <string>

namespace comfygate {

/// Everything the kernel gives a module, valid from Module::start() to Module::stop().
/// Registration services (routes, permissions, hooks, CLI, authenticator) accept calls only
/// during start(); the others may be used at any time until stop() returns.
class ModuleContext
{
public:
    virtual ~ModuleContext() = default;

    virtual const std::string& moduleName() const = 0;

    virtual RouteRegistry& routes() = 0;
    virtual PermissionRegistry& permissions() = 0;
    virtual Policy& policy() = 0;
    virtual Database& database() = 0;
    virtual EventBus& events() = 0;
    virtual HttpClient& httpClient() = 0;
    virtual Secrets& secrets() = 0;
    virtual Scheduler& scheduler() = 0;
    virtual Audit& audit() = 0;
    virtual Metrics& metrics() = 0;
    virtual CliRegistry& cli() = 0;
    virtual ServiceRegistry& services() = 0;

    /// `modules.<name>.*` of the configuration.
    virtual const Config& config() const = 0;
    /// The whole configuration, for shared keys such as `experimental.mfa` or `comfy.url`.
    virtual const Config& globalConfig() const = 0;

    /// The data directory (database, key file, staging); absolute.
    virtual std::string dataDir() const = 0;
    /// True when this process serves HTTP (`comfygate serve`); false while a CLI command runs
    /// (`user add`, `download list`, ...). Background work that takes shared state (a job
    /// queue, for example) starts only when serving, so a short CLI command never competes
    /// with the running server.
    virtual bool serving() const = 0;

    /// Installs the authenticator (the auth module does this). Only one may be installed.
    virtual void setAuthenticator(std::shared_ptr<Authenticator> authenticator) = 0;

    virtual Poco::Logger& logger() = 0;
};

} // namespace comfygate
