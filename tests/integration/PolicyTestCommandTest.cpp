// `comfygate policy test [DIR]` and the return check of `comfygate policy check`, run as the
// real binary: the shipped test files pass, a failing assert prints the test file's
// file:line and exits 1, scripts that do not compile exit 2, and a handler returning a wrong
// type is reported at its own file:line.
#include "ServerProcess.h"
#include "TempDir.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/DirectoryIterator.h>
#include <Poco/Path.h>

#include <memory>

using comfygate::test::ServerProcess;
using comfygate::test::TempDir;

namespace {

const std::string shippedPolicies = COMFYGATE_SOURCE_DIR "/scripts/policy";

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class PolicyTestCommandTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PolicyTestCommandTest);
    CPPUNIT_TEST(shippedTestFilesPass);
    CPPUNIT_TEST(failingAssertPrintsFileAndLine);
    CPPUNIT_TEST(handlerErrorShowsTestLineAndHandler);
    CPPUNIT_TEST(callReturnsWhatTheEngineDecided);
    CPPUNIT_TEST(simulatedEffectsAreFreshPerFile);
    CPPUNIT_TEST(eventHandlersUseStubsAndRecords);
    CPPUNIT_TEST(settingLinesSwitchScriptsOn);
    CPPUNIT_TEST(limitsStopARunawayTestFile);
    CPPUNIT_TEST(scriptsThatDoNotCompileExit2);
    CPPUNIT_TEST(defaultDirectoryIsThePolicyDir);
    CPPUNIT_TEST(checkReportsWrongReturnTypes);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _server = std::make_unique<ServerProcess>(std::map<std::string, std::string>{
            {"modules.dir", COMFYGATE_TEST_MODULE_DIR},
            {"modules.enabled", "fixture,fixture_auth"},
            {"policy.dir", _scripts.path()}});
    }

    void tearDown() override { _server.reset(); }

    void shippedTestFilesPass()
    {
        std::string out;
        expectStatus(0, {"policy", "test", shippedPolicies}, out);
        std::size_t files = 0;
        for (Poco::DirectoryIterator it(shippedPolicies + "/tests"), end; it != end; ++it) {
            const std::string name = it.name();
            if (name.size() > 9 && name.substr(name.size() - 9) == "_test.lua") {
                ++files;
                CPPUNIT_ASSERT_MESSAGE(name + "\n" + out, contains(out, "ok   " + name + " ("));
            }
        }
        CPPUNIT_ASSERT(files >= 2);
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "all " + std::to_string(files) + " test files passed"));
    }

    void failingAssertPrintsFileAndLine()
    {
        _scripts.write("deny.lua", "policy.on('fixture_hook', function(subject, request)\n"
                                   "  if request.value == 'bad' then return false, 'no bad values' end\n"
                                   "end)\n");
        _scripts.write("tests/deny_test.lua", "local ok, reason = policy.call('fixture_hook', {}, {value = 'bad'})\n"
                                              "assert(ok == false)\n"
                                              "assert(reason == 'no bad values')\n"
                                              "assert(policy.call('fixture_hook', {}, {value = 'bad'}) == nil)\n"
                                              "assert(false, 'never reached')\n");
        _scripts.write("tests/fine_test.lua", "assert(policy.call('fixture_hook', {}, {value = 'ok'}) == nil)\n");
        std::string out;
        expectStatus(1, {"policy", "test", _scripts.path()}, out);
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "FAIL deny_test.lua:4: assertion failed!\n"));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "ok   fine_test.lua (1 call)\n"));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "1 of 2 test files failed"));
        CPPUNIT_ASSERT_MESSAGE(out, !contains(out, "never reached"));
    }

    void handlerErrorShowsTestLineAndHandler()
    {
        _scripts.write("broken.lua", "policy.on('fixture_hook', function(subject, request)\n"
                                     "  return request.missing.field\n"
                                     "end)\n");
        _scripts.write("tests/broken_test.lua", "-- a comment\n"
                                                "policy.call('fixture_hook', {}, {})\n");
        std::string out;
        expectStatus(1, {"policy", "test", _scripts.path()}, out);
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "FAIL broken_test.lua:2: broken.lua:2: attempt to index"));
    }

    void callReturnsWhatTheEngineDecided()
    {
        _scripts.write("a_rewrite.lua", "policy.on('fixture_hook', function(subject, request)\n"
                                        "  if request.value == 'old' then request.value = 'new'; return request end\n"
                                        "end)\n");
        _scripts.write("b_deny.lua", "policy.on('fixture_hook', function(subject, request)\n"
                                     "  if request.value == 'new' and subject.role == 'guest' then return false end\n"
                                     "  if request.value == 'number' then return 42 end\n"
                                     "end)\n");
        _scripts.write("tests/decisions_test.lua",
                       "local rewritten = policy.call('fixture_hook', {role = 'user'}, {value = 'old'})\n"
                       "assert(type(rewritten) == 'table' and rewritten.value == 'new')\n"
                       "local ok, reason = policy.call('fixture_hook', {role = 'guest'}, {value = 'old'})\n"
                       "assert(ok == false and reason == 'denied by policy', tostring(reason))\n"
                       "assert(policy.call('fixture_hook', {}, {value = 'other'}) == nil)\n"
                       "local called, message = pcall(policy.call, 'fixture_hook', {}, {value = 'number'})\n"
                       "assert(not called and message:find('b_deny.lua:1: fixture_hook handler returned a number', 1, true), message)\n"
                       "local unknown, why = pcall(policy.call, 'no_such_hook', {}, {})\n"
                       "assert(not unknown and why:find(\"unknown hook 'no_such_hook'\", 1, true), why)\n");
        std::string out;
        expectStatus(0, {"policy", "test", _scripts.path()}, out);
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "ok   decisions_test.lua (5 calls)"));
    }

    void simulatedEffectsAreFreshPerFile()
    {
        _scripts.write("quiet.lua", "-- nothing registered\n");
        _scripts.write("tests/a_test.lua", "policy.test.set_time(1000)\n"
                                           "policy.test.advance(500)\n"
                                           "assert(policy.now() == 1500, policy.now())\n"
                                           "policy.test.stub_http('https://classifier.example/', {json = {nsfw = true}})\n"
                                           "assert(#policy.test.notifications() == 0)\n"
                                           "assert(#policy.test.tags() == 0 and #policy.test.http_calls() == 0)\n");
        _scripts.write("tests/b_test.lua", "assert(policy.now() ~= 1500, 'a fresh clock per file')\n");
        std::string out;
        expectStatus(0, {"policy", "test", _scripts.path()}, out);
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "ok   a_test.lua (0 calls)"));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "ok   b_test.lua (0 calls)"));
    }

    void eventHandlersUseStubsAndRecords()
    {
        _scripts.write("classify.lua",
                       "policy.on('event', function(subject, event)\n"
                       "  if event.type ~= 'execution_success' then return end\n"
                       "  for _, file in ipairs(event.outputs) do\n"
                       "    local answer = policy.http{url = 'https://classifier.example/check', method = 'POST',\n"
                       "                               json = {filename = file.filename}}\n"
                       "    if answer.json and answer.json.nsfw then\n"
                       "      policy.tag(file, {'nsfw'})\n"
                       "      policy.notify('ops', 'tagged ' .. file.filename, {user = subject.username})\n"
                       "    end\n"
                       "  end\n"
                       "  local seen = policy.counter('executions', subject.username)\n"
                       "  seen:incr(1, 60)\n"
                       "end)\n");
        _scripts.write("tests/classify_test.lua",
                       "local event = {type = 'execution_success', prompt_id = 'p1',\n"
                       "  outputs = {{filename = 'a.png', subfolder = 'ann', type = 'output', node_id = '9'}}}\n"
                       "local ok, message = pcall(policy.call, 'event', {username = 'ann'}, event)\n"
                       "assert(not ok and message:find('no stubbed answer for https://classifier.example/check', 1, true), message)\n"
                       "policy.test.reset()\n"
                       "policy.test.stub_http('https://classifier.example/', {json = {nsfw = true}})\n"
                       "policy.test.set_time(1000)\n"
                       "policy.call('event', {username = 'ann'}, event)\n"
                       "local calls = policy.test.http_calls()\n"
                       "assert(#calls == 1 and calls[1].method == 'POST' and calls[1].url == 'https://classifier.example/check')\n"
                       "local tags = policy.test.tags()\n"
                       "assert(#tags == 1 and tags[1].filename == 'a.png' and tags[1].subfolder == 'ann' and tags[1].tags[1] == 'nsfw')\n"
                       "local sent = policy.test.notifications()\n"
                       "assert(#sent == 1 and sent[1].channel == 'ops' and sent[1].message == 'tagged a.png')\n"
                       "assert(sent[1].fields.user == 'ann')\n"
                       "assert(policy.counter('executions', 'ann'):get() == 1)\n"
                       "policy.test.advance(60)\n"
                       "assert(policy.counter('executions', 'ann'):get() == 0, 'expired with the simulated clock')\n"
                       "local refused, why = pcall(policy.http, {url = 'https://classifier.example/'})\n"
                       "assert(not refused and why:find('only available in the event hook', 1, true), why)\n");
        std::string out;
        expectStatus(0, {"policy", "test", _scripts.path()}, out);
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "ok   classify_test.lua (2 calls)"));
    }

    void settingLinesSwitchScriptsOn()
    {
        _scripts.write("limit.lua", "local max = tonumber(policy.settings.fixture_max or '1')\n"
                                    "policy.on('fixture_hook', function(subject, request)\n"
                                    "  if #request.value > max then return false, 'longer than ' .. max end\n"
                                    "end)\n");
        _scripts.write("tests/default_test.lua", "assert(policy.call('fixture_hook', {}, {value = 'ab'}) == false)\n");
        _scripts.write("tests/set_test.lua", "-- @setting fixture_max = 3\n"
                                             "assert(policy.call('fixture_hook', {}, {value = 'abc'}) == nil)\n"
                                             "assert(policy.settings.fixture_max == '3')\n");
        std::string out;
        expectStatus(0, {"policy", "test", _scripts.path()}, out);
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "ok   default_test.lua (1 call)"));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "ok   set_test.lua (1 call)"));
    }

    void limitsStopARunawayTestFile()
    {
        _scripts.write("tests/loop_test.lua", "local n = 0\n"
                                              "pcall(function() while true do n = n + 1 end end)\n"
                                              "assert(false, 'pcall cannot swallow the budget')\n");
        _scripts.write("tests/next_test.lua", "assert(true)\n");
        std::string out;
        expectStatus(1, {"--set", "policy.max_instructions=10000", "policy", "test", _scripts.path()}, out);
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "FAIL loop_test.lua:2: instruction budget of 500000 exceeded"));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "ok   next_test.lua (0 calls)"));
    }

    void scriptsThatDoNotCompileExit2()
    {
        _scripts.write("broken.lua", "policy.on('fixture_hook', function(subject, request)\n  return false,\n");
        _scripts.write("tests/any_test.lua", "assert(true)\n");
        std::string out;
        expectStatus(2, {"policy", "test", _scripts.path()}, out);
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "broken.lua:3:"));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "do not compile; no test ran"));
        CPPUNIT_ASSERT_MESSAGE(out, !contains(out, "any_test.lua"));
    }

    void defaultDirectoryIsThePolicyDir()
    {
        _scripts.write("tests/here_test.lua", "assert(policy.call('fixture_hook', {}, {}) == nil)\n");
        std::string out;
        expectStatus(0, {"policy", "test"}, out);
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "ok   here_test.lua (1 call)"));
    }

    void checkReportsWrongReturnTypes()
    {
        _scripts.write("fine.lua", "policy.on('fixture_hook', function() return false, 'no' end)\n");
        std::string out;
        expectStatus(0, {"policy", "check"}, out);
        _scripts.write("typo.lua", "local M = {}\n"
                                   "policy.on('fixture_hook', function(subject, request)\n"
                                   "  return 'deny'\n"
                                   "end)\n"
                                   "policy.on('fixture_hook', function() return false end)\n");
        expectStatus(1, {"policy", "check"}, out);
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "typo.lua:2: fixture_hook handler returned a string; return "
                                                  "nothing (allow), false and a reason (deny) or a table (rewrite)"));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "typo.lua:5: fixture_hook handler returned false and a nil;"));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "policies have errors"));
    }

private:
    // Runs the command and checks its exit status, showing the output when it differs.
    void expectStatus(int expected, const std::vector<std::string>& words, std::string& out)
    {
        const int status = run(words, out);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(out, expected, status);
    }

    int run(const std::vector<std::string>& words, std::string& out)
    {
        std::string err;
        const int status = _server->runCommand(words, out, err);
        out += err;
        return status;
    }

    TempDir _scripts;
    std::unique_ptr<ServerProcess> _server;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicyTestCommandTest);
