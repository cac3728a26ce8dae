#include "CliApplication.h"

#include "BackupCommand.h"
#include "CliCommands.h"
#include "Configuration.h"
#include "Kernel.h"
#include "MetricsRegistry.h"
#include "ModuleLoader.h"
#include "PermissionTable.h"
#include "PolicyEffectsSettings.h"
#include "PolicyEngine.h"
#include "PolicyReturnCheck.h"
#include "PolicyTestRunner.h"
#include "RestoreCommand.h"
#include "PooledDatabase.h"
#include "Router.h"

#include <Poco/Exception.h>
#include <Poco/Logger.h>

#include <csignal>
#include <iostream>
#include <map>

namespace comfygate {

const char* kernelVersion();

namespace {

const std::map<std::string, std::pair<std::string, std::string>>& kernelCommands()
{
    static const std::map<std::string, std::pair<std::string, std::string>> commands{
        {"serve",
         {"start the server (the default command)",
          "comfygate [options] serve\n\n"
          "Starts the kernel, the modules, the policies and the HTTP server, and serves until\n"
          "SIGTERM or SIGINT (drains in-flight requests for http.drain_seconds). SIGHUP reloads\n"
          "the Lua policies."}},
        {"backup",
         {"write a consistent backup archive (database, key, policies, config) while the server runs",
          "comfygate [options] backup FILE\n\n"
          "Writes FILE (a tar archive, mode 0600, replaced atomically): a consistent copy of the SQLite\n"
          "database taken with SQLite's online backup API (the server may keep running), secret.key,\n"
          "the policy scripts, the --config file, and manifest.json (versions, applied migrations,\n"
          "SHA-256 of every file). PostgreSQL: the database is not included; the pg_dump command to\n"
          "run for it is printed as a warning. Restore with `comfygate --data-dir NEW restore FILE`."}},
        {"restore",
         {"restore a backup archive into a new or empty data directory",
          "comfygate [options] --data-dir DIR restore FILE\n\n"
          "Checks every file against the manifest's SHA-256, refuses an archive whose database has a\n"
          "migration this build does not know, refuses unsafe entries (absolute paths, '..', links),\n"
          "then moves the restored directory into place in one rename. DIR must not exist or be empty.\n"
          "The policies and the configuration file land in DIR/policies and DIR/config.\n"
          "Exit status 0 when restored, 1 when refused."}},
        {"migrate",
         {"apply the database migrations of the kernel and every module, then exit",
          "comfygate [options] migrate\n\nApplies pending migrations and lists what every owner has applied."}},
        {"modules",
         {"list the loaded modules with their routes, permissions, hooks and commands",
          "comfygate [options] modules"}},
        {"policy",
         {"check or test the Lua policies: comfygate policy check | policy test [DIR]",
          "comfygate [options] policy check\n"
          "       comfygate [options] policy test [DIR]\n\n"
          "check: compiles every policy script (and the helpers it requires) without starting the\n"
          "server, then calls each handler with its hook's example subject and request (on\n"
          "simulated counters and notifications) and reports a handler that returns something\n"
          "other than nothing, false and a reason, or a table. Prints each problem as\n"
          "file:line: message. Exit status 0 when all is well, 1 otherwise.\n\n"
          "test: runs every DIR/tests/*_test.lua (DIR defaults to policy.dir) against the scripts\n"
          "of DIR, each file in a fresh state with simulated effects; see scripts/policy/README.md,\n"
          "\"Testing policies\". Exit status 0 when every test passes, 1 when one fails (its\n"
          "file:line is printed), 2 when the scripts do not compile."}},
    };
    return commands;
}

const char* globalOptions =
    "Options (before the command):\n"
    "  --config FILE      read a properties file (see etc/comfygate.properties)\n"
    "  --set KEY=VALUE    override one configuration key (repeatable)\n"
    "  --port N           same as --set http.port=N\n"
    "  --data-dir DIR     same as --set data.dir=DIR\n"
    "  --help             this text; `comfygate COMMAND --help` for one command\n"
    "  --version          print the version\n";

} // namespace

CliApplication::CliApplication(std::istream& in, std::ostream& out, std::ostream& err)
    : _in(in), _out(out), _err(err)
{
}

CliApplication::~CliApplication() = default;

void CliApplication::bootKernel(const CommandLine& line, bool withModules)
{
    auto config = std::make_unique<Configuration>();
    if (!line.configFile.empty())
        config->loadFile(line.configFile);
    config->applyEnvironment(Configuration::processEnvironment());
    config->applyOverrides(line.overrides);
    // `comfygate --help` boots the modules only to list their commands: it does not serve.
    const bool serving = (line.command.empty() && !line.help) || line.command == "serve";
    // A command prints its result; the start-up chatter of the kernel and modules is the
    // server's, so commands log only warnings and errors unless log.level is set.
    if (!serving && !config->isExplicit("log.level"))
        config->applyOverrides({{"log.level", "warning"}});
    _kernel = std::make_unique<Kernel>(std::move(config));
    _kernel->startCore(serving);
    if (withModules)
        _kernel->startModules(serving);
}

int CliApplication::run(const std::vector<std::string>& args)
{
    try {
        _line = CommandLine::parse(args);
    } catch (const std::invalid_argument& e) {
        _err << "comfygate: " << e.what() << "\n";
        return 2;
    }
    if (_line.version) {
        _out << "comfygate " << kernelVersion() << " (module ABI " << COMFYGATE_ABI_VERSION << ")\n";
        return 0;
    }
    try {
        if (_line.help && _line.command.empty()) {
            printHelp();
            return 0;
        }
        const std::string command = _line.command.empty() ? "serve" : _line.command;
        if (command != "serve") {
            // Only serve waits for signals; other commands end on Ctrl-C as usual.
            sigset_t signals;
            sigemptyset(&signals);
            sigaddset(&signals, SIGTERM);
            sigaddset(&signals, SIGINT);
            pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
        }
        if (commandHelp(command, _line.words))
            return 0;
        if (command == "serve")
            return serve();
        if (command == "migrate")
            return migrate();
        if (command == "modules")
            return listModules();
        if (command == "backup")
            return BackupCommand(_line, _out, _err).run();
        if (command == "restore")
            return RestoreCommand(_line, _out, _err).run();
        if (command == "policy")
            return policy(_line.words);
        return moduleCommand(command, _line.words);
    } catch (const Poco::Exception& e) {
        _err << "comfygate: " << e.displayText() << "\n";
        return 1;
    } catch (const std::exception& e) {
        _err << "comfygate: " << e.what() << "\n";
        return 1;
    }
}

bool CliApplication::commandHelp(const std::string& command, const std::vector<std::string>& words)
{
    const bool wanted = _line.help || (!words.empty() && (words.back() == "--help" || words.back() == "-h"));
    if (!wanted)
        return false;
    const auto kernel = kernelCommands().find(command);
    if (kernel != kernelCommands().end()) {
        _out << "usage: " << kernel->second.second << "\n\n" << globalOptions;
        return true;
    }
    bootKernel(_line, true);
    const CliCommand* found = _kernel->cli().find(command);
    if (!found)
        throw std::invalid_argument("unknown command '" + command + "' (see comfygate --help)");
    _out << "usage: " << found->usage << "\n";
    return true;
}

void CliApplication::printHelp()
{
    _out << "comfygate " << kernelVersion() << ": multi-user gateway and plugin server for ComfyUI\n\n"
         << "usage: comfygate [options] [command] [arguments]\n\nCommands:\n";
    for (const auto& [name, text] : kernelCommands())
        _out << "  " << name << std::string(name.size() < 10 ? 10 - name.size() : 1, ' ') << text.first << "\n";
    try {
        bootKernel(_line, true);
        for (const auto& [name, entry] : _kernel->cli().all())
            _out << "  " << name << std::string(name.size() < 10 ? 10 - name.size() : 1, ' ') << entry.first.summary
                 << " [" << entry.second << "]\n";
    } catch (const std::exception& e) {
        _out << "  (module commands unavailable: " << e.what() << ")\n";
    }
    _out << "\n" << globalOptions;
}

int CliApplication::serve()
{
    bootKernel(_line, true);
    _kernel->startPolicy();
    _kernel->startHttp();
    // main() blocked these signals before any thread started, so they arrive here only.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    Poco::Logger& logger = Poco::Logger::get("kernel");
    while (true) {
        int signal = 0;
        if (sigwait(&signals, &signal) != 0)
            continue;
        if (signal == SIGHUP) {
            const auto errors = _kernel->reloadPolicies("signal", "");
            for (const auto& error : errors)
                logger.error("policy reload kept the previous policies: %s", error);
            if (errors.empty())
                logger.information("policies reloaded");
            continue;
        }
        logger.information("received %s: draining and stopping", std::string(signal == SIGTERM ? "SIGTERM" : "SIGINT"));
        break;
    }
    _kernel->stop();
    logger.information("stopped");
    return 0;
}

int CliApplication::migrate()
{
    bootKernel(_line, true);
    for (const std::string& owner : {std::string("kernel")}) {
        for (const auto& [number, name] : _kernel->database().appliedMigrations(owner))
            _out << owner << " " << number << " " << name << "\n";
    }
    for (const auto& module : _kernel->modules().modules()) {
        for (const auto& [number, name] : _kernel->database().appliedMigrations(module->name))
            _out << module->name << " " << number << " " << name << "\n";
    }
    _out << "migrations are up to date\n";
    _kernel->stop();
    return 0;
}

int CliApplication::listModules()
{
    bootKernel(_line, true);
    for (const auto& module : _kernel->modules().modules()) {
        _out << module->name << " " << module->version << "  (" << module->path << ")\n";
        if (!module->dependencies.empty()) {
            _out << "  depends on:";
            for (const auto& dep : module->dependencies)
                _out << " " << dep;
            _out << "\n";
        }
        for (const auto& route : _kernel->router().routes()) {
            if (route->owner != module->name)
                continue;
            _out << "  route      " << route->method << " " << route->pattern.text();
            if (route->spec->access == Access::Permission)
                _out << "  [" << route->spec->permission << "]";
            else if (route->spec->access == Access::Public)
                _out << "  [public]";
            _out << "\n";
        }
        for (const auto& id : module->host->declaredPermissions())
            _out << "  permission " << id << "\n";
        for (const auto& hook : module->host->declaredHooks())
            _out << "  hook       " << hook << "\n";
        for (const auto& command : module->host->addedCommands())
            _out << "  command    " << command << "\n";
    }
    for (const auto& unknown : _kernel->permissions().unknownIds())
        _out << "warning: groups file sets " << unknown << ", which no loaded module declares\n";
    _kernel->stop();
    return 0;
}

int CliApplication::policy(const std::vector<std::string>& words)
{
    const bool check = words.size() == 1 && words[0] == "check";
    const bool test = !words.empty() && words.size() <= 2 && words[0] == "test";
    if (!check && !test) {
        _err << "usage: comfygate policy check | comfygate policy test [DIR]\n";
        return 2;
    }
    bootKernel(_line, true);
    PolicyEngine& engine = _kernel->policy();
    int status = 0;
    if (test) {
        const std::string dir = words.size() == 2 ? words[1] : engine.scriptsDirectory();
        status = PolicyTestRunner(engine.hooks(), engine.limits(), engine.settings(),
                                  PolicyEffectsSettings::read(_kernel->config()))
                     .run(dir, _out);
    } else {
        auto problems = engine.check().errors;
        if (problems.empty()) {
            const auto returns =
                PolicyReturnCheck::run(engine.scriptsDirectory(), engine.hooks(), engine.limits(), engine.settings());
            problems = returns.problems;
            for (const auto& failure : returns.failures)
                _out << "note: a handler failed on its hook's example (not an error by itself): " << failure << "\n";
        }
        for (const auto& problem : problems)
            _out << problem << "\n";
        _out << (problems.empty() ? "policies OK\n" : "policies have errors\n");
        status = problems.empty() ? 0 : 1;
    }
    _kernel->stop();
    return status;
}

int CliApplication::moduleCommand(const std::string& name, const std::vector<std::string>& words)
{
    bootKernel(_line, true);
    const CliCommand* command = _kernel->cli().find(name);
    if (!command) {
        _err << "comfygate: unknown command '" << name << "' (see comfygate --help)\n";
        _kernel->stop();
        return 2;
    }
    _kernel->startPolicy();
    const int status = command->run(words, _in, _out, _err);
    _kernel->stop();
    return status;
}

} // namespace comfygate
