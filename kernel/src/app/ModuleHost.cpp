#include "ModuleHost.h"

#include "CliCommands.h"
#include "Configuration.h"
#include "MetricsRegistry.h"
#include "PermissionTable.h"
#include "Router.h"
#include "ServiceTable.h"

#include <stdexcept>

namespace comfygate {

class ModuleHost::Routes : public RouteRegistry
{
public:
    explicit Routes(ModuleHost& host) : _host(host) {}
    void add(RouteSpec route) override
    {
        _host.requireOpen("route " + route.method + " " + route.pattern);
        _host._kernel.router.add(std::move(route), _host._name);
    }

private:
    ModuleHost& _host;
};

class ModuleHost::Permissions : public PermissionRegistry
{
public:
    explicit Permissions(ModuleHost& host) : _host(host) {}
    void declare(const PermissionSpec& spec) override
    {
        _host.requireOpen("permission " + spec.id);
        _host._kernel.permissions.declare(spec);
        _host._permissionIds.push_back(spec.id);
    }
    bool isDeclared(const std::string& id) const override { return _host._kernel.permissions.isDeclared(id); }
    std::vector<PermissionSpec> all() const override { return _host._kernel.permissions.all(); }
    std::set<std::string> effective(const std::string& username, const std::string& role,
                                    const std::vector<std::string>& groups) const override
    {
        return _host._kernel.permissions.effective(username, role, groups);
    }
    std::string groupsJson() const override { return _host._kernel.permissions.groupsJson(); }
    void setGroups(const std::string& jsonText) override { _host._kernel.permissions.setGroups(jsonText); }

private:
    ModuleHost& _host;
};

class ModuleHost::Hooks : public Policy
{
public:
    explicit Hooks(ModuleHost& host) : _host(host) {}
    void declareHook(const HookSpec& spec) override
    {
        _host.requireOpen("policy hook " + spec.name);
        _host._kernel.policy.declareHook(spec);
        _host._hookNames.push_back(spec.name);
    }
    Verdict call(const std::string& hook, const Poco::Dynamic::Var& subject, const Poco::Dynamic::Var& request) override
    {
        return _host._kernel.policy.call(hook, subject, request);
    }
    void raise(const std::string& event, const Poco::Dynamic::Var& subject, const Poco::Dynamic::Var& fields) override
    {
        _host._kernel.policy.raise(event, subject, fields);
    }

private:
    ModuleHost& _host;
};

class ModuleHost::Commands : public CliRegistry
{
public:
    explicit Commands(ModuleHost& host) : _host(host) {}
    void add(CliCommand command) override
    {
        _host.requireOpen("command " + command.name);
        const std::string name = command.name;
        _host._kernel.cli.add(std::move(command), _host._name);
        _host._commandNames.push_back(name);
    }

private:
    ModuleHost& _host;
};

ModuleHost::ModuleHost(KernelServices& kernel, std::string moduleName)
    : _kernel(kernel), _name(std::move(moduleName)), _config(kernel.config.view("modules." + _name + ".")),
      _routes(std::make_unique<Routes>(*this)), _permissions(std::make_unique<Permissions>(*this)),
      _hooks(std::make_unique<Hooks>(*this)), _commands(std::make_unique<Commands>(*this)),
      _logger(Poco::Logger::get("module." + _name))
{
}

ModuleHost::~ModuleHost() = default;

void ModuleHost::requireOpen(const std::string& what) const
{
    if (!_open)
        throw std::logic_error("module '" + _name + "' registered " + what + " outside start()");
}

RouteRegistry& ModuleHost::routes() { return *_routes; }
PermissionRegistry& ModuleHost::permissions() { return *_permissions; }
Policy& ModuleHost::policy() { return *_hooks; }
Database& ModuleHost::database() { return _kernel.database; }
EventBus& ModuleHost::events() { return _kernel.events; }
HttpClient& ModuleHost::httpClient() { return _kernel.httpClient; }
Secrets& ModuleHost::secrets() { return _kernel.secrets; }
Scheduler& ModuleHost::scheduler() { return _kernel.scheduler; }
Audit& ModuleHost::audit() { return _kernel.audit; }
Metrics& ModuleHost::metrics() { return _kernel.metrics; }
CliRegistry& ModuleHost::cli() { return *_commands; }
ServiceRegistry& ModuleHost::services() { return _kernel.services; }
const Config& ModuleHost::globalConfig() const { return _kernel.config; }

void ModuleHost::setAuthenticator(std::shared_ptr<Authenticator> authenticator)
{
    requireOpen("an authenticator");
    _kernel.installAuthenticator(std::move(authenticator), _name);
}

} // namespace comfygate
