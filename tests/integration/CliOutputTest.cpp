// The command line as an operator and a script see it: the real binary as a child process,
// no server. Commands print their result only (INFO lines with --verbose), `--json` prints
// one document a parser reads, usage errors exit 2, and the bash completion script written
// from the command registry completes in bash itself.
#include "ServerProcess.h"

#include <Poco/File.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <set>

using comfygate::test::ServerProcess;

namespace {

const std::string secretKey = "cli-output-test-secret-key-0123456789abcdef";

/// Parses a command's stdout; fails the test (with the text) when it is not one JSON object.
Poco::JSON::Object::Ptr parsed(const std::string& text)
{
    try {
        return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        CPPUNIT_FAIL("not one JSON object (" + e.displayText() + "):\n" + text);
    }
    return nullptr;
}

} // namespace

class CliOutputTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(CliOutputTest);
    CPPUNIT_TEST(userAddPrintsOnlyItsResult);
    CPPUNIT_TEST(verboseShowsTheLogLines);
    CPPUNIT_TEST(userListJson);
    CPPUNIT_TEST(tokenListTextAndJson);
    CPPUNIT_TEST(downloadListJson);
    CPPUNIT_TEST(modulesJsonHasWhatTheTextHas);
    CPPUNIT_TEST(migrateDryRunOnAFreshDataDir);
    CPPUNIT_TEST(migrateDryRunOnAMigratedDataDir);
    CPPUNIT_TEST(usageErrorsExitTwo);
    CPPUNIT_TEST(helpDocumentsVerboseAndExitCodes);
    CPPUNIT_TEST(bashCompletesCommandsSubcommandsAndOptions);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _cli = std::make_unique<ServerProcess>(
            std::map<std::string, std::string>{{"modules.enabled", "auth,model-download"}},
            std::map<std::string, std::string>{{"SECRET_KEY", secretKey}});
    }

    void tearDown() override { _cli.reset(); }

    void userAddPrintsOnlyItsResult()
    {
        // The first command on a fresh data dir also opens the database and runs every migration.
        const Run run = command({"user", "add", "olga", "--role", "owner", "--password-stdin"}, "orbit-lantern-7\n");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.err, 0, run.status);
        CPPUNIT_ASSERT_EQUAL(std::string("created owner olga\n"), run.out);
        CPPUNIT_ASSERT_EQUAL(std::string(), run.err);
    }

    void verboseShowsTheLogLines()
    {
        const Run quiet = command({"user", "list"});
        CPPUNIT_ASSERT_EQUAL(std::string(), quiet.err);
        const Run verbose = command({"--verbose", "user", "list"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(verbose.err, 0, verbose.status);
        const std::string logs = verbose.out + verbose.err;
        CPPUNIT_ASSERT_MESSAGE(logs, logs.find("opened ") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(logs, logs.find("auth") != std::string::npos);
    }

    void userListJson()
    {
        addUser("olga", "owner");
        addUser("pete", "power");
        const Run text = command({"user", "list"});
        CPPUNIT_ASSERT(text.out.find("olga\towner") != std::string::npos);
        const Run run = command({"user", "list", "--json"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.err, 0, run.status);
        CPPUNIT_ASSERT_EQUAL(std::string(), run.err);
        const auto users = parsed(run.out)->getArray("users");
        CPPUNIT_ASSERT(users);
        std::map<std::string, std::string> roles;
        for (std::size_t i = 0; i < users->size(); ++i) {
            const auto user = users->getObject(i);
            roles[user->getValue<std::string>("username")] = user->getValue<std::string>("role");
            CPPUNIT_ASSERT_EQUAL(false, user->getValue<bool>("mfa"));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), roles["olga"]);
        CPPUNIT_ASSERT_EQUAL(std::string("power"), roles["pete"]);
        // Text and JSON list the same users.
        std::size_t lines = 0;
        for (char c : text.out)
            lines += c == '\n';
        CPPUNIT_ASSERT_EQUAL(lines, users->size());
    }

    void tokenListTextAndJson()
    {
        addUser("olga", "owner");
        CPPUNIT_ASSERT_EQUAL(0, command({"token", "create", "olga", "--label", "nightly", "--hours", "5"}).status);
        const Run text = command({"token", "list", "olga"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(text.err, 0, text.status);
        CPPUNIT_ASSERT_MESSAGE(text.out, text.out.find("nightly\t") != std::string::npos);
        const Run run = command({"token", "list", "olga", "--json"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.err, 0, run.status);
        const auto document = parsed(run.out);
        CPPUNIT_ASSERT_EQUAL(std::string("olga"), document->getValue<std::string>("username"));
        const auto tokens = document->getArray("tokens");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tokens->size());
        const auto token = tokens->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("nightly"), token->getValue<std::string>("label"));
        CPPUNIT_ASSERT(token->getValue<Poco::Int64>("expires_at") > token->getValue<Poco::Int64>("created_at"));
        CPPUNIT_ASSERT(token->isNull("last_used_at"));
        CPPUNIT_ASSERT_EQUAL(1, command({"token", "list", "nobody", "--json"}).status);
    }

    void downloadListJson()
    {
        addUser("olga", "owner");
        CPPUNIT_ASSERT_EQUAL(0, command({"download", "hf", "org/repo", "model.safetensors"}).status);
        const Run run = command({"download", "list", "--json"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.err, 0, run.status);
        const auto downloads = parsed(run.out)->getArray("downloads");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), downloads->size());
        const auto job = downloads->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("olga"), job->getValue<std::string>("user"));
        CPPUNIT_ASSERT_EQUAL(std::string("huggingface"), job->getValue<std::string>("source"));
        CPPUNIT_ASSERT_EQUAL(std::string("queued"), job->getValue<std::string>("status"));
        const Run text = command({"download", "list"});
        CPPUNIT_ASSERT_MESSAGE(text.out, text.out.find(job->getValue<std::string>("job") + "\tolga\tqueued") !=
                                             std::string::npos);
    }

    void modulesJsonHasWhatTheTextHas()
    {
        const Run text = command({"modules"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(text.err, 0, text.status);
        const Run run = command({"modules", "--json"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.err, 0, run.status);
        const auto modules = parsed(run.out)->getArray("modules");
        std::set<std::string> names;
        for (std::size_t i = 0; i < modules->size(); ++i) {
            const auto module = modules->getObject(i);
            const std::string name = module->getValue<std::string>("name");
            names.insert(name);
            CPPUNIT_ASSERT_MESSAGE(text.out, text.out.find(name + " " + module->getValue<std::string>("version")) !=
                                                 std::string::npos);
            const auto routes = module->getArray("routes");
            for (std::size_t r = 0; r < routes->size(); ++r) {
                const auto route = routes->getObject(r);
                const std::string line = "route      " + route->getValue<std::string>("method") + " " +
                                         route->getValue<std::string>("pattern");
                CPPUNIT_ASSERT_MESSAGE(line, text.out.find(line) != std::string::npos);
            }
        }
        CPPUNIT_ASSERT(names.count("auth") && names.count("model-download"));
        const auto auth = modules->getObject(0)->getValue<std::string>("name") == "auth" ? modules->getObject(0)
                                                                                          : modules->getObject(1);
        const auto commands = auth->getArray("commands");
        bool user = false;
        for (std::size_t i = 0; i < commands->size(); ++i)
            user = user || commands->getElement<std::string>(i) == "user";
        CPPUNIT_ASSERT(user);
    }

    void migrateDryRunOnAFreshDataDir()
    {
        const Run run = command({"migrate", "--dry-run"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.err, 0, run.status);
        CPPUNIT_ASSERT_EQUAL(std::string(), run.err);
        CPPUNIT_ASSERT_MESSAGE(run.out, run.out.find("kernel 1 ") == 0);
        CPPUNIT_ASSERT_MESSAGE(run.out, run.out.find("\nauth 1 ") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(run.out, run.out.find("\nmodel-download 1 ") != std::string::npos);
        // Nothing applied: no database in the data dir, so the same migrations are still pending.
        CPPUNIT_ASSERT(!Poco::File(_cli->dataDir() + "/comfygate.db").exists());
        const Run json = command({"migrate", "--dry-run", "--json"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(json.err, 0, json.status);
        const auto owners = parsed(json.out)->getArray("owners");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), owners->size());
        std::size_t pending = 0;
        for (std::size_t i = 0; i < owners->size(); ++i) {
            const auto owner = owners->getObject(i);
            const auto migrations = owner->getArray("pending");
            CPPUNIT_ASSERT_MESSAGE(owner->getValue<std::string>("owner"), migrations->size() > 0);
            CPPUNIT_ASSERT_EQUAL(1, migrations->getObject(0)->getValue<int>("number"));
            pending += migrations->size();
        }
        // The text lists as many as the JSON document, one line each, then the count.
        const std::string summary = "\n" + std::to_string(pending) + " pending migrations (dry run: nothing applied)\n";
        CPPUNIT_ASSERT_MESSAGE(run.out, run.out.size() >= summary.size() &&
                                            run.out.compare(run.out.size() - summary.size(), summary.size(), summary) == 0);
        CPPUNIT_ASSERT_EQUAL(pending + 1, static_cast<std::size_t>(std::count(run.out.begin(), run.out.end(), '\n')));
    }

    void migrateDryRunOnAMigratedDataDir()
    {
        const Run migrate = command({"migrate"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(migrate.err, 0, migrate.status);
        addUser("olga", "owner");
        const Run run = command({"migrate", "--dry-run"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.err, 0, run.status);
        CPPUNIT_ASSERT_EQUAL(std::string("migrations are up to date\n"), run.out);
        const Run json = command({"migrate", "--dry-run", "--json"});
        const auto owners = parsed(json.out)->getArray("owners");
        CPPUNIT_ASSERT_EQUAL(std::string("kernel"), owners->getObject(0)->getValue<std::string>("owner"));
        for (std::size_t i = 0; i < owners->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(std::size_t(0), owners->getObject(i)->getArray("pending")->size());
        // The real data is untouched: the user is still there.
        CPPUNIT_ASSERT(command({"user", "list"}).out.find("olga\towner") != std::string::npos);
    }

    void usageErrorsExitTwo()
    {
        CPPUNIT_ASSERT_EQUAL(2, command({"--no-such-option", "modules"}).status);
        CPPUNIT_ASSERT_EQUAL(2, command({"no-such-command"}).status);
        CPPUNIT_ASSERT_EQUAL(2, command({"modules", "--xml"}).status);
        CPPUNIT_ASSERT_EQUAL(2, command({"modules", "extra"}).status);
        CPPUNIT_ASSERT_EQUAL(2, command({"migrate", "extra"}).status);
        CPPUNIT_ASSERT_EQUAL(2, command({"migrate", "--json"}).status);
        CPPUNIT_ASSERT_EQUAL(2, command({"completion"}).status);
        CPPUNIT_ASSERT_EQUAL(2, command({"completion", "fish"}).status);
        CPPUNIT_ASSERT_EQUAL(2, command({"policy", "frobnicate"}).status);
        CPPUNIT_ASSERT_EQUAL(2, command({"user", "list", "--xml"}).status);
        CPPUNIT_ASSERT_EQUAL(2, command({"user", "frobnicate"}).status);
        CPPUNIT_ASSERT_EQUAL(2, command({"token", "list"}).status);
        CPPUNIT_ASSERT_EQUAL(2, command({"download", "list", "--xml"}).status);
        const Run run = command({"modules", "--xml"});
        CPPUNIT_ASSERT_MESSAGE(run.err, run.err.find("--xml") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(run.err, run.err.find("comfygate modules --help") != std::string::npos);
        // The command ran and refused: 1.
        CPPUNIT_ASSERT_EQUAL(1, command({"user", "delete", "nobody"}).status);
    }

    void helpDocumentsVerboseAndExitCodes()
    {
        const Run run = command({"--help"});
        CPPUNIT_ASSERT_EQUAL(0, run.status);
        CPPUNIT_ASSERT_MESSAGE(run.out, run.out.find("--verbose") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(run.out, run.out.find("Exit status: 0 success; 1 ") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(run.out, run.out.find("--json") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(run.out, run.out.find("completion") != std::string::npos);
        const Run help = command({"help"});
        CPPUNIT_ASSERT_EQUAL(0, help.status);
        CPPUNIT_ASSERT_EQUAL(run.out, help.out);
        const Run userHelp = command({"help", "user"});
        CPPUNIT_ASSERT_EQUAL(0, userHelp.status);
        CPPUNIT_ASSERT_MESSAGE(userHelp.out, userHelp.out.find("comfygate user list [--json]") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(2, command({"help", "no-such-command"}).status);
    }

    void bashCompletesCommandsSubcommandsAndOptions()
    {
        const Run run = command({"completion", "bash"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.err, 0, run.status);
        CPPUNIT_ASSERT_EQUAL(std::string(), run.err);
        const std::string script = _cli->temp().write("completion.bash", run.out);
        // Commands of the kernel and of the modules.
        CPPUNIT_ASSERT_EQUAL(std::string("user\n"), complete(script, "comfygate us"));
        CPPUNIT_ASSERT_EQUAL(std::string("migrate modules\n"), complete(script, "comfygate m"));
        CPPUNIT_ASSERT_EQUAL(std::string("doctor download\n"), complete(script, "comfygate --data-dir /tmp do"));
        // Subcommands from the commands' usage texts.
        CPPUNIT_ASSERT_EQUAL(std::string("list\n"), complete(script, "comfygate user l"));
        CPPUNIT_ASSERT_EQUAL(std::string("check\n"), complete(script, "comfygate policy c"));
        CPPUNIT_ASSERT_EQUAL(std::string("create list\n"), complete(script, "comfygate --verbose token "));
        // Global options.
        CPPUNIT_ASSERT_EQUAL(std::string("--version --verbose\n"), complete(script, "comfygate --ver"));
    }

private:
    struct Run
    {
        int status = -1;
        std::string out, err;
    };

    Run command(const std::vector<std::string>& words, const std::string& input = {}) const
    {
        Run run;
        run.status = _cli->runCommand(words, run.out, run.err, input);
        return run;
    }

    void addUser(const std::string& name, const std::string& role)
    {
        const Run run = command({"user", "add", name, "--role", role, "--password-stdin"}, std::string("violet-harbor-92\n"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.err, 0, run.status);
    }

    /// What bash's completion offers for `line` (the cursor at its end), as one line.
    std::string complete(const std::string& script, const std::string& line) const
    {
        const std::string program = "source '" + script + "'; read -ra COMP_WORDS <<< \"$LINE\"; " +
                                    "[[ $LINE == *' ' ]] && COMP_WORDS+=(''); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); " +
                                    "_comfygate; echo \"${COMPREPLY[*]}\"";
        const std::string shell = "LINE='" + line + "' bash -c '" + escaped(program) + "'";
        std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(shell.c_str(), "r"), ::pclose);
        CPPUNIT_ASSERT(pipe);
        std::string output;
        std::array<char, 256> buffer{};
        while (const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe.get()))
            output.append(buffer.data(), n);
        return output;
    }

    /// `text` inside a single-quoted shell word.
    static std::string escaped(const std::string& text)
    {
        std::string result;
        for (char c : text)
            result += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return result;
    }

    std::unique_ptr<ServerProcess> _cli;
};

CPPUNIT_TEST_SUITE_REGISTRATION(CliOutputTest);
