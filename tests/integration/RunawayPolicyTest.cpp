// Fault injection (issue 15): a policy script that loops forever, allocates without end or
// recurses without end, called by requests while other clients keep the server busy. Each
// runaway call is cut off by its limit (policy.max_instructions, policy.max_millis,
// policy.max_memory_bytes), its request gets the hook's fail mode as a clear JSON error, the
// server lives on, and the other clients are all answered.
#include "HttpTestClient.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;

namespace {

const char* runaway = R"(
policy.on('fixture_hook', function(subject, request)
  if request.value == 'loop' then
    local n = 0
    while true do n = n + 1 end
  elseif request.value == 'allocate' then
    local hoard = {}
    while true do hoard[#hoard + 1] = string.rep('x', 65536) .. #hoard end
  elseif request.value == 'recurse' then
    local function deeper(n) return deeper(n + 1) + 1 end
    return deeper(1)
  elseif request.value == 'pcall-loop' then
    -- A script that tries to swallow the limit: the limit is not catchable.
    while true do pcall(function() while true do end end) end
  end
end)
)";

/// Four clients ping the server back to back while `during` runs; the statuses that were not 200
/// (-1: no answer).
std::vector<int> pingWhile(unsigned port, const std::function<void()>& during)
{
    std::atomic<bool> done{false};
    std::mutex mutex;
    std::vector<int> failures;
    std::vector<std::thread> clients;
    for (int i = 0; i < 4; ++i)
        clients.emplace_back([&] {
            const HttpTestClient client(port);
            while (!done) {
                int status = 0;
                try {
                    status = client.get("/fixture/ping").status;
                } catch (const std::exception&) {
                    status = -1;
                }
                if (status != 200) {
                    std::lock_guard lock(mutex);
                    failures.push_back(status);
                }
            }
        });
    during();
    done = true;
    for (auto& client : clients)
        client.join();
    return failures;
}

} // namespace

class RunawayPolicyTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(RunawayPolicyTest);
    CPPUNIT_TEST(runawayScriptsAreCutOffWhileOthersAreServed);
    CPPUNIT_TEST(instructionLimitStopsALoopLongBeforeTheDeadline);
    CPPUNIT_TEST_SUITE_END();

public:
    void runawayScriptsAreCutOffWhileOthersAreServed()
    {
        ServerProcess server(settings({{"policy.max_memory_bytes", "8388608"}}));
        server.start();
        const HttpTestClient client(server.port());
        std::vector<std::string> unexpected;
        const auto failures = pingWhile(server.port(), [&] {
            for (int round = 0; round < 3; ++round)
                for (const std::string value : {"loop", "allocate", "recurse", "pcall-loop"}) {
                    const auto answer = client.get("/fixture/hooked?value=" + value);
                    // fixture_hook fails closed: a refusal in the route's own error shape.
                    if (answer.status != 403 || answer.json()->getValue<std::string>("error") != "policy error")
                        unexpected.push_back(value + ": " + std::to_string(answer.status) + " " + answer.body);
                }
        });
        CPPUNIT_ASSERT_MESSAGE(unexpected.empty() ? "" : unexpected.front(), unexpected.empty());
        CPPUNIT_ASSERT_MESSAGE(std::to_string(failures.size()) + " pings failed", failures.empty());
        // The same workers and Lua states still decide ordinary calls.
        CPPUNIT_ASSERT_EQUAL(200, client.get("/fixture/hooked?value=fine").status);
        CPPUNIT_ASSERT(server.running());
        const std::string log = server.stderrText() + server.stdoutText();
        CPPUNIT_ASSERT_MESSAGE(log, log.find("memory limit of") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(log, log.find("exceeded") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(0, server.stop());
    }

    void instructionLimitStopsALoopLongBeforeTheDeadline()
    {
        // The deadline far away: only the instruction count can end the loop.
        ServerProcess server(settings({{"policy.max_millis", "60000"}, {"policy.max_instructions", "100000"}}));
        server.start();
        const HttpTestClient client(server.port());
        const auto answer = client.get("/fixture/hooked?value=loop");
        CPPUNIT_ASSERT_EQUAL(403, answer.status);
        const std::string log = server.stderrText() + server.stdoutText();
        CPPUNIT_ASSERT_MESSAGE(log, log.find("instruction budget of 100000 exceeded") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(200, client.get("/fixture/hooked?value=fine").status);
    }

private:
    std::map<std::string, std::string> settings(std::map<std::string, std::string> extra)
    {
        _scripts.write("fixture.lua", runaway);
        std::map<std::string, std::string> config{{"modules.dir", COMFYGATE_TEST_MODULE_DIR},
                                                  {"modules.enabled", "fixture,fixture_auth"},
                                                  {"policy.dir", _scripts.path()},
                                                  {"http.access_log", "off"}};
        for (auto& [key, value] : extra)
            config[key] = value;
        return config;
    }

    comfygate::test::TempDir _scripts;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RunawayPolicyTest);
