// Lua policies in the running server: the fixture module's hook decided by a script, reloads
// through the admin route, SIGHUP and the file watch, and a broken script keeping the old
// generation in force.
#include "HttpTestClient.h"
#include "TestPaths.h"
#include "ServerProcess.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>

#include <chrono>
#include <csignal>
#include <thread>

using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;

namespace {

const char* denyBad = "policy.on('fixture_hook', function(subject, request)\n"
                      "  if request.value == 'bad' then return false, 'bad values are refused' end\n"
                      "end)\n";
const char* denyAll = "policy.on('fixture_hook', function(subject, request)\n"
                      "  return false, 'everything is refused now'\n"
                      "end)\n";
const char* broken = "policy.on('fixture_hook', function(subject, request)\n  return false,\n";

const std::map<std::string, std::string> admin{{"Authorization", "Bearer fixture:ada:admin"}};

} // namespace

class PolicyReloadTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PolicyReloadTest);
    CPPUNIT_TEST(scriptDecidesTheHook);
    CPPUNIT_TEST(adminReloadSwapsAndBrokenScriptKeepsOld);
    CPPUNIT_TEST(reloadRouteNeedsThePermission);
    CPPUNIT_TEST(sighupReloads);
    CPPUNIT_TEST(fileWatchReloads);
    CPPUNIT_TEST(policyCheckReportsFileAndLine);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { start("0"); }
    void tearDown() override
    {
        _client.reset();
        _server.reset();
    }

    void scriptDecidesTheHook()
    {
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/fixture/hooked?value=ok").status);
        auto denied = _client->get("/fixture/hooked?value=bad");
        CPPUNIT_ASSERT_EQUAL(403, denied.status);
        CPPUNIT_ASSERT_EQUAL(std::string("bad values are refused"), denied.json()->getValue<std::string>("error"));
    }

    void adminReloadSwapsAndBrokenScriptKeepsOld()
    {
        writeScript(broken);
        auto failed = _client->request("POST", "/mss-login/api/admin/policies/reload", "", admin);
        CPPUNIT_ASSERT_EQUAL(422, failed.status);
        CPPUNIT_ASSERT_MESSAGE(failed.body, failed.body.find("fixture.lua:") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/fixture/hooked?value=ok").status);  // old generation
        CPPUNIT_ASSERT_EQUAL(403, _client->get("/fixture/hooked?value=bad").status); // still in force

        writeScript(denyAll);
        auto ok = _client->request("POST", "/api/mss-login/api/admin/policies/reload", "", admin);
        CPPUNIT_ASSERT_EQUAL(200, ok.status);
        CPPUNIT_ASSERT_EQUAL(403, _client->get("/fixture/hooked?value=ok").status);
    }

    void reloadRouteNeedsThePermission()
    {
        CPPUNIT_ASSERT_EQUAL(401, _client->request("POST", "/mss-login/api/admin/policies/reload").status);
        CPPUNIT_ASSERT_EQUAL(403, _client->request("POST", "/mss-login/api/admin/policies/reload", "",
                                                   {{"Authorization", "Bearer fixture:ann:user"}})
                                      .status);
    }

    void sighupReloads()
    {
        writeScript(denyAll);
        _server->signal(SIGHUP);
        CPPUNIT_ASSERT(eventually([&] { return _client->get("/fixture/hooked?value=ok").status == 403; }));
    }

    void fileWatchReloads()
    {
        _server.reset();
        start("1");
        writeScript(denyAll);
        CPPUNIT_ASSERT(eventually([&] { return _client->get("/fixture/hooked?value=ok").status == 403; }));
    }

    void policyCheckReportsFileAndLine()
    {
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL(0, _server->runCommand({"policy", "check"}, out, err));
        CPPUNIT_ASSERT(out.find("policies OK") != std::string::npos);
        writeScript(broken);
        CPPUNIT_ASSERT_EQUAL(1, _server->runCommand({"policy", "check"}, out, err));
        CPPUNIT_ASSERT_MESSAGE(out, out.find("fixture.lua:3:") != std::string::npos);
    }

private:
    void start(const std::string& watchSeconds)
    {
        copyShippedPolicies();
        _scripts.write("fixture.lua", denyBad);
        _server = std::make_unique<ServerProcess>(std::map<std::string, std::string>{
            {"modules.dir", COMFYGATE_TEST_MODULE_DIR},
            {"modules.enabled", "fixture,fixture_auth"},
            {"policy.dir", _scripts.path()},
            {"policy.watch_seconds", watchSeconds}});
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
    }

    void copyShippedPolicies()
    {
        for (const std::string sub : {"", "lib/"}) {
            const std::string from = COMFYGATE_SOURCE_DIR "/scripts/policy/" + sub;
            for (Poco::DirectoryIterator it(from), end; it != end; ++it) {
                if (it->isFile())
                    Poco::File(it->path()).copyTo(_scripts.file(sub));
            }
            if (sub.empty())
                Poco::File(_scripts.file("lib")).createDirectories();
        }
    }

    void writeScript(const std::string& text)
    {
        // A later mtime than the previous write even on coarse file systems.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        _scripts.write("fixture.lua", text);
    }

    template <class Condition>
    static bool eventually(Condition condition)
    {
        for (int i = 0; i < 100; ++i) {
            if (condition())
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    comfygate::test::TempDir _scripts;
    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicyReloadTest);
