#pragma once

#include "KernelServices.h"
#include "comfygate/ModuleContext.h"

#include <memory>
#include <string>
#include <vector>

namespace comfygate {

/// One module's ModuleContext: forwards to the kernel's subsystems, tags what the module
/// registers with its name, and refuses registrations outside Module::start().
class ModuleHost : public ModuleContext
{
public:
    ModuleHost(KernelServices& kernel, std::string moduleName);
    ~ModuleHost() override;

    /// Opens or closes the registration window (open only while start() runs).
    void setRegistrationOpen(bool open) { _open = open; }

    const std::vector<std::string>& declaredPermissions() const { return _permissionIds; }
    const std::vector<std::string>& declaredHooks() const { return _hookNames; }
    const std::vector<std::string>& addedCommands() const { return _commandNames; }

    const std::string& moduleName() const override { return _name; }
    RouteRegistry& routes() override;
    PermissionRegistry& permissions() override;
    Policy& policy() override;
    Database& database() override;
    EventBus& events() override;
    HttpClient& httpClient() override;
    Secrets& secrets() override;
    Scheduler& scheduler() override;
    Audit& audit() override;
    Metrics& metrics() override;
    CliRegistry& cli() override;
    ServiceRegistry& services() override;
    const Config& config() const override { return *_config; }
    const Config& globalConfig() const override;
    std::string dataDir() const override { return _kernel.dataDir; }
    bool serving() const override { return _kernel.serving; }
    void setAuthenticator(std::shared_ptr<Authenticator> authenticator) override;
    Poco::Logger& logger() override { return _logger; }

private:
    class Permissions;
    class Hooks;
    class Commands;
    class Routes;

    void requireOpen(const std::string& what) const;

    KernelServices& _kernel;
    std::string _name;
    bool _open = false;
    std::unique_ptr<Config> _config;
    std::unique_ptr<Routes> _routes;
    std::unique_ptr<Permissions> _permissions;
    std::unique_ptr<Hooks> _hooks;
    std::unique_ptr<Commands> _commands;
    std::vector<std::string> _permissionIds;
    std::vector<std::string> _hookNames;
    std::vector<std::string> _commandNames;
    Poco::Logger& _logger;
};

} // namespace comfygate
