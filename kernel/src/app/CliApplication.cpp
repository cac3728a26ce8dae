#include "CliApplication.h"

#include "BashCompletion.h"
#include "BackupCommand.h"
#include "CliCommands.h"
#include "Configuration.h"
#include "Doctor.h"
#include "InstallLayout.h"
#include "Kernel.h"
#include "MigrationDryRun.h"
#include "MetricsRegistry.h"
#include "ModuleLoader.h"
#include "PermissionTable.h"
#include "PolicyEffectsSettings.h"
#include "PolicyEngine.h"
#include "PolicyReturnCheck.h"
#include "PolicyTestRunner.h"
#include "RestoreCommand.h"
#include "ServiceManagerNotifier.h"
#include "PooledDatabase.h"
#include "Router.h"
#include "comfygate/CliWords.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include <csignal>
#include <iostream>
#include <map>
#include <set>

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
          "the Lua policies (systemctl reload comfygate). Started by systemd (NOTIFY_SOCKET) it\n"
          "reports READY=1 once it listens, RELOADING=1 and READY=1 around a reload and STOPPING=1\n"
          "when it drains; with its output in the journal (JOURNAL_STREAM) it logs each line with\n"
          "its syslog level (<N>) and without a time stamp."}},
        {"doctor",
         {"check the installation and explain what to fix, without changing anything",
          "comfygate [options] doctor [--json]\n\n"
          "Checks the configuration, the data directory and key file, the database and its migrations,\n"
          "ComfyUI at comfy.url (version, --multi-user), CivitAI and Hugging Face, the TLS files, the\n"
          "trusted proxies, the policies, the modules and each module's migrations (\"<module> migrations\",\n"
          "pending ones by file); one line each: ok, warn, fail or skip, and\n"
          "for anything not ok what to do next. Needs no running server and creates or migrates nothing.\n"
          "--json prints {checks: [{name, status, message, hint}], ok}. Exit status 0 when no check\n"
          "failed (warnings allowed), 1 when one did."}},
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
          "comfygate [options] migrate [--dry-run [--json]]\n\n"
          "Applies pending migrations and lists what every owner has applied.\n\n"
          "--dry-run applies nothing: it runs the migrations on a scratch copy of the SQLite database\n"
          "(safe beside a running server) and lists, per owner (kernel, then each module), the ones\n"
          "`migrate` would apply, as `owner NUMBER name`; a migration that would fail fails here too\n"
          "(exit status 1). --json prints {\"owners\": [{\"owner\", \"pending\": [{\"number\",\n"
          "\"name\"}]}]} instead. SQLite only: for PostgreSQL, restore a pg_dump into a scratch\n"
          "database and run `comfygate migrate` against that."}},
        {"modules",
         {"list the loaded modules with their routes, permissions, hooks and commands",
          "comfygate [options] modules [--json]\n\n"
          "--json prints one JSON document: {\"modules\": [{\"name\", \"version\", \"path\", \"depends_on\",\n"
          "\"routes\": [{\"method\", \"pattern\", \"access\"}], \"permissions\", \"hooks\", \"commands\"}],\n"
          "\"warnings\"}; a route's access is public, authenticated or the permission it needs."}},
        {"help",
         {"this overview, or one command's usage: comfygate help [COMMAND]",
          "comfygate [options] help [COMMAND]\n\nThe same as comfygate --help and comfygate COMMAND --help."}},
        {"completion",
         {"print a bash completion script: comfygate completion bash",
          "comfygate [options] completion bash\n\n"
          "Prints a bash completion script for the kernel's commands, the commands of the modules\n"
          "this configuration loads, their subcommands and the global options. Install it with\n"
          "  comfygate completion bash > /etc/bash_completion.d/comfygate\n"
          "or try it with: source <(comfygate completion bash)"}},
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
    "  --config FILE      read a properties file (see etc/comfygate.properties); default: an\n"
    "                     installed comfygate's own (/etc/comfygate/comfygate.properties for the\n"
    "                     Debian package), none in the build tree\n"
    "  --set KEY=VALUE    override one configuration key (repeatable)\n"
    "  --port N           same as --set http.port=N\n"
    "  --data-dir DIR     same as --set data.dir=DIR\n"
    "  --verbose, -v      commands other than serve also print the INFO log lines of the kernel,\n"
    "                     the modules and the migrations (on stderr; default: warnings only)\n"
    "  --help             this text; `comfygate COMMAND --help` for one command\n"
    "  --version          print the version\n\n"
    "Command switches (after the command's words):\n"
    "  --json             user list, token list, download list, modules: one JSON document on stdout\n\n"
    "Exit status: 0 success; 1 the command ran and found a problem or refused; 2 usage error\n"
    "(unknown command or option, missing or extra words).\n";

/// A mistake in the command line itself (exit status 2), as opposed to a problem the command found.
struct UsageError : std::invalid_argument
{
    using std::invalid_argument::invalid_argument;
};

/// The words of a kernel command: only `switches` and at most `positional` positional words.
CliWords commandWords(const std::string& command, const std::vector<std::string>& words,
                      const std::set<std::string>& switches, std::size_t positional)
{
    CliWords parsed;
    try {
        parsed = CliWords::parse(words, switches, {});
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string(e.what()) + " (see comfygate " + command + " --help)");
    }
    if (parsed.positional.size() > positional)
        throw UsageError("unexpected word '" + parsed.positional[positional] + "' (see comfygate " + command +
                         " --help)");
    return parsed;
}

} // namespace

CliApplication::CliApplication(std::istream& in, std::ostream& out, std::ostream& err)
    : _in(in), _out(out), _err(err)
{
}

CliApplication::~CliApplication() = default;

std::unique_ptr<Configuration> CliApplication::configuration(const CommandLine& line)
{
    auto config = std::make_unique<Configuration>();
    if (!line.configFile.empty())
        config->loadFile(line.configFile);
    config->applyEnvironment(Configuration::processEnvironment());
    config->applyOverrides(line.overrides);
    return config;
}

void CliApplication::bootKernel(const CommandLine& line, bool withModules)
{
    auto config = configuration(line);
    // `comfygate --help` boots the modules only to list their commands: it does not serve.
    const bool serving = (line.command.empty() && !line.help) || line.command == "serve";
    // A command prints its result; the start-up chatter of the kernel and modules is the
    // server's, so commands log only warnings and errors unless --verbose or log.level asks.
    if (!serving && !line.verbose && !config->isExplicit("log.level"))
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
    // An installed comfygate reads its installation's properties file unless told otherwise.
    if (_line.configFile.empty())
        _line.configFile = InstallLayout::current().defaultConfigFile();
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
        if (command == "help") {
            const auto words = commandWords(command, _line.words, {}, 1).positional;
            if (words.empty())
                printHelp();
            else
                commandHelp(words[0], {"--help"});
            return 0;
        }
        if (command == "serve")
            return serve();
        if (command == "migrate") {
            const CliWords words = commandWords(command, _line.words, {"--dry-run", "--json"}, 0);
            if (words.has("--json") && !words.has("--dry-run"))
                throw UsageError("--json goes with --dry-run (see comfygate migrate --help)");
            return words.has("--dry-run") ? migrateDryRun(words.has("--json")) : migrate();
        }
        if (command == "doctor")
            return Doctor::run(_line, _out, _err);
        if (command == "modules")
            return listModules(commandWords(command, _line.words, {"--json"}, 0).has("--json"));
        if (command == "backup")
            return BackupCommand(_line, _out, _err).run();
        if (command == "restore")
            return RestoreCommand(_line, _out, _err).run();
        if (command == "policy")
            return policy(_line.words);
        if (command == "completion")
            return completion(commandWords(command, _line.words, {}, 1).positional);
        return moduleCommand(command, _line.words);
    } catch (const UsageError& e) {
        _err << "comfygate: " << e.what() << "\n";
        return 2;
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
        throw UsageError("unknown command '" + command + "' (see comfygate --help)");
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
    ServiceManagerNotifier::ready("serving on port " + std::to_string(_kernel->httpServer()->port()));
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
            ServiceManagerNotifier::reloading();
            const auto errors = _kernel->reloadPolicies("signal", "");
            for (const auto& error : errors)
                logger.error("policy reload kept the previous policies: %s", error);
            if (errors.empty())
                logger.information("policies reloaded");
            ServiceManagerNotifier::ready(errors.empty() ? "serving; policies reloaded"
                                                         : "serving; the policy reload failed, previous policies kept");
            continue;
        }
        logger.information("received %s: draining and stopping", std::string(signal == SIGTERM ? "SIGTERM" : "SIGINT"));
        ServiceManagerNotifier::stopping();
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

int CliApplication::migrateDryRun(bool json)
{
    MigrationDryRun scratch(*configuration(_line));
    const auto before = scratch.recorded();
    CommandLine onScratch = _line;
    for (const auto& [key, value] : scratch.scratchOverrides())
        onScratch.overrides[key] = value;
    bootKernel(onScratch, true);
    std::vector<std::string> owners{"kernel"};
    for (const auto& module : _kernel->modules().modules())
        owners.push_back(module->name);
    // The scratch database closes before it is read and removed.
    _kernel->stop();
    _kernel.reset();
    const auto after = scratch.recorded();

    Poco::JSON::Array::Ptr rows = new Poco::JSON::Array;
    std::size_t total = 0;
    for (const auto& owner : owners) {
        Poco::JSON::Array::Ptr pending = new Poco::JSON::Array;
        const auto applied = after.find(owner);
        const auto earlier = before.find(owner);
        for (const auto& [number, name] : applied == after.end() ? std::map<int, std::string>{} : applied->second) {
            if (earlier != before.end() && earlier->second.count(number))
                continue;
            Poco::JSON::Object::Ptr migration = new Poco::JSON::Object;
            migration->set("number", number);
            migration->set("name", name);
            pending->add(migration);
            if (!json)
                _out << owner << " " << number << " " << name << "\n";
        }
        total += pending->size();
        Poco::JSON::Object::Ptr row = new Poco::JSON::Object;
        row->set("owner", owner);
        row->set("pending", pending);
        rows->add(row);
    }
    if (json) {
        Poco::JSON::Object::Ptr document = new Poco::JSON::Object;
        document->set("owners", rows);
        document->stringify(_out, 2);
        _out << "\n";
    } else if (total == 0) {
        _out << "migrations are up to date\n";
    } else {
        _out << total << " pending migration" << (total == 1 ? "" : "s") << " (dry run: nothing applied)\n";
    }
    return 0;
}

int CliApplication::listModules(bool json)
{
    bootKernel(_line, true);
    Poco::JSON::Array::Ptr modules = new Poco::JSON::Array;
    for (const auto& module : _kernel->modules().modules()) {
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object;
        entry->set("name", module->name);
        entry->set("version", module->version);
        entry->set("path", module->path);
        Poco::JSON::Array::Ptr dependencies = new Poco::JSON::Array;
        for (const auto& dep : module->dependencies)
            dependencies->add(dep);
        entry->set("depends_on", dependencies);
        Poco::JSON::Array::Ptr routes = new Poco::JSON::Array;
        for (const auto& route : _kernel->router().routes()) {
            if (route->owner != module->name)
                continue;
            Poco::JSON::Object::Ptr row = new Poco::JSON::Object;
            row->set("method", route->method);
            row->set("pattern", route->pattern.text());
            if (route->spec->access == Access::Permission)
                row->set("access", route->spec->permission);
            else if (route->spec->access == Access::Public)
                row->set("access", "public");
            else
                row->set("access", "authenticated");
            routes->add(row);
        }
        entry->set("routes", routes);
        auto list = [](const auto& names) {
            Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
            for (const auto& name : names)
                array->add(name);
            return array;
        };
        entry->set("permissions", list(module->host->declaredPermissions()));
        entry->set("hooks", list(module->host->declaredHooks()));
        entry->set("commands", list(module->host->addedCommands()));
        modules->add(entry);
    }
    Poco::JSON::Array::Ptr warnings = new Poco::JSON::Array;
    for (const auto& unknown : _kernel->permissions().unknownIds())
        warnings->add("groups file sets " + unknown + ", which no loaded module declares");
    _kernel->stop();

    if (json) {
        Poco::JSON::Object::Ptr document = new Poco::JSON::Object;
        document->set("modules", modules);
        document->set("warnings", warnings);
        document->stringify(_out, 2);
        _out << "\n";
        return 0;
    }
    printModules(*modules, *warnings);
    return 0;
}

void CliApplication::printModules(const Poco::JSON::Array& modules, const Poco::JSON::Array& warnings)
{
    // The text is printed from the JSON document, so the two outputs cannot drift apart.
    for (std::size_t i = 0; i < modules.size(); ++i) {
        const auto module = modules.getObject(i);
        _out << module->getValue<std::string>("name") << " " << module->getValue<std::string>("version") << "  ("
             << module->getValue<std::string>("path") << ")\n";
        const auto dependencies = module->getArray("depends_on");
        if (dependencies->size() > 0) {
            _out << "  depends on:";
            for (std::size_t d = 0; d < dependencies->size(); ++d)
                _out << " " << dependencies->getElement<std::string>(d);
            _out << "\n";
        }
        const auto routes = module->getArray("routes");
        for (std::size_t r = 0; r < routes->size(); ++r) {
            const auto route = routes->getObject(r);
            const std::string access = route->getValue<std::string>("access");
            _out << "  route      " << route->getValue<std::string>("method") << " "
                 << route->getValue<std::string>("pattern") << (access == "authenticated" ? "" : "  [" + access + "]") << "\n";
        }
        for (const auto& [label, key] : {std::pair<std::string, std::string>{"permission", "permissions"},
                                         {"hook", "hooks"},
                                         {"command", "commands"}}) {
            const auto names = module->getArray(key);
            for (std::size_t n = 0; n < names->size(); ++n)
                _out << "  " << label << std::string(11 - label.size(), ' ') << names->getElement<std::string>(n)
                     << "\n";
        }
    }
    for (std::size_t w = 0; w < warnings.size(); ++w)
        _out << "warning: " << warnings.getElement<std::string>(w) << "\n";
}

int CliApplication::completion(const std::vector<std::string>& words)
{
    if (words.size() != 1 || words[0] != "bash")
        throw UsageError("completion needs the shell: comfygate completion bash (bash is the only one)");
    std::vector<BashCompletion::Command> commands;
    for (const auto& [name, text] : kernelCommands())
        commands.push_back({name, text.second});
    bootKernel(_line, true);
    for (const auto& [name, entry] : _kernel->cli().all())
        commands.push_back({name, entry.first.usage});
    _kernel->stop();
    _out << BashCompletion::script(commands, CommandLine::switches(), CommandLine::valueOptions());
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
    int status = 0;
    try {
        status = command->run(words, _in, _out, _err);
    } catch (const std::invalid_argument& e) {
        // A module command that lets CliWords' complaint escape made a usage error.
        _err << "comfygate " << name << ": " << e.what() << " (see comfygate " << name << " --help)\n";
        status = 2;
    }
    _kernel->stop();
    return status;
}

} // namespace comfygate
