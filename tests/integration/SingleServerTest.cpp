// One server per data directory and no silent port sharing: real processes started the way
// an operator would, one after the other on the same directory or port.
#include "HttpTestClient.h"
#include "ServerProcess.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/FileStream.h>
#include <Poco/StreamCopier.h>

#include <stdexcept>
#include <string>

using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using Settings = std::map<std::string, std::string>;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Starts `server` expecting it to refuse; returns why (its stderr, through start()'s message).
std::string refusal(ServerProcess& server)
{
    try {
        server.start();
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    CPPUNIT_FAIL("the second server started (port " + std::to_string(server.port()) + ")");
    return {};
}

std::string lockFileText(const std::string& dataDir)
{
    Poco::FileInputStream in(dataDir + "/comfygate.lock");
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    return text;
}

} // namespace

class SingleServerTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SingleServerTest);
    CPPUNIT_TEST(secondServeOnTheSameDataDirectoryIsRefusedWithThePid);
    CPPUNIT_TEST(commandsStillWorkBesideTheServer);
    CPPUNIT_TEST(killedServerLeavesNoStaleLock);
    CPPUNIT_TEST(busyPortStopsStartupNamingTheAddress);
    CPPUNIT_TEST(reusePortAllowsADeliberateSecondListener);
    CPPUNIT_TEST_SUITE_END();

public:
    void secondServeOnTheSameDataDirectoryIsRefusedWithThePid()
    {
        ServerProcess first;
        first.start();
        ServerProcess second(Settings{{"data.dir", first.dataDir()}});
        const std::string why = refusal(second);
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, first.dataDir()));
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "PID " + std::to_string(first.pid())));
        // The first one serves on, undisturbed.
        CPPUNIT_ASSERT_EQUAL(200, HttpTestClient(first.port()).get("/healthz").status);
    }

    void commandsStillWorkBesideTheServer()
    {
        ServerProcess server(Settings{{"modules.enabled", "auth"}});
        server.start();
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0,
                                     server.runCommand({"user", "add", "ada", "--role", "user", "--password-stdin"},
                                                       out, err, "a long passphrase here\n"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, server.runCommand({"migrate"}, out, err));
        const auto login = HttpTestClient(server.port())
                               .postJson("/login", R"({"username":"ada","password":"a long passphrase here"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(login.body, 200, login.status);
    }

    void killedServerLeavesNoStaleLock()
    {
        ServerProcess first;
        first.start();
        const pid_t killed = first.pid();
        first.kill9();
        ServerProcess second(Settings{{"data.dir", first.dataDir()}});
        second.start();
        CPPUNIT_ASSERT_EQUAL(200, HttpTestClient(second.port()).get("/healthz").status);
        CPPUNIT_ASSERT_EQUAL(std::to_string(second.pid()) + "\n", lockFileText(first.dataDir()));
        CPPUNIT_ASSERT(second.pid() != killed);
        // And a clean stop releases it too.
        CPPUNIT_ASSERT_EQUAL(0, second.stop());
        first.start();
        CPPUNIT_ASSERT_EQUAL(200, HttpTestClient(first.port()).get("/healthz").status);
    }

    void busyPortStopsStartupNamingTheAddress()
    {
        ServerProcess first;
        first.start();
        const std::string port = std::to_string(first.port());
        ServerProcess second(Settings{{"http.port", port}});
        const std::string why = refusal(second);
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "address already in use"));
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "127.0.0.1:" + port));
    }

    void reusePortAllowsADeliberateSecondListener()
    {
        ServerProcess first(Settings{{"http.reuse_port", "true"}});
        first.start();
        ServerProcess second({{"http.reuse_port", "true"}, {"http.port", std::to_string(first.port())}});
        second.start();
        CPPUNIT_ASSERT_EQUAL(first.port(), second.port());
        CPPUNIT_ASSERT_EQUAL(200, HttpTestClient(second.port()).get("/healthz").status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SingleServerTest);
