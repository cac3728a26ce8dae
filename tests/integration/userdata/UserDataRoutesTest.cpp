// The userdata module's routes over real HTTP against the real binary, on SQLite: ComfyUI's
// userdata, settings and users API answered by the gateway (UserDataChecks.h, shared with
// UserDataPostgresTest), plus a Python `requests` and a Node `fetch` client that save, list
// and load a workflow the way third-party tools do.
#include "UserDataChecks.h"

#include "ChildProcess.h"

#include <Poco/File.h>

#include <chrono>

using comfygate::test::ProgramResult;

namespace {

const std::string clientsDir = COMFYGATE_SOURCE_DIR "/tests/integration/userdata/clients/";

} // namespace

class UserDataRoutesTest : public comfygate::test::userdata::UserDataChecks
{
    CPPUNIT_TEST_SUITE(UserDataRoutesTest);
    USERDATA_CORE_CHECKS();
    CPPUNIT_TEST(pythonRequestsClient);
    CPPUNIT_TEST(nodeFetchClient);
    CPPUNIT_TEST_SUITE_END();

public:
    void pythonRequestsClient()
    {
        const std::string python = "/usr/bin/python3";
        requireProgram(python);
        const auto probe = comfygate::test::runProgram({python, "-c", "import requests"}, {}, std::chrono::seconds(60));
        CPPUNIT_ASSERT_MESSAGE("python3-requests is missing: " + probe.err, probe.exitStatus == 0);
        runClient({python, clientsDir + "userdata_client.py"});
    }

    void nodeFetchClient()
    {
        const std::string node = "/usr/bin/node";
        requireProgram(node);
        runClient({node, clientsDir + "userdata_client.mjs"});
    }

private:
    static void requireProgram(const std::string& path)
    {
        CPPUNIT_ASSERT_MESSAGE(path + " is missing", Poco::File(path).exists() && Poco::File(path).canExecute());
    }

    void runClient(const std::vector<std::string>& args)
    {
        const ProgramResult result = comfygate::test::runProgram(
            args,
            {{"GATEWAY_URL", "http://127.0.0.1:" + std::to_string(_server->port())},
             {"GATEWAY_AUTH", alice.at("Authorization")},
             {"GATEWAY_OTHER_AUTH", bob.at("Authorization")}},
            std::chrono::seconds(120));
        const std::string output = "\n--- stdout ---\n" + result.out + "--- stderr ---\n" + result.err;
        CPPUNIT_ASSERT_MESSAGE("timed out" + output, !result.timedOut);
        CPPUNIT_ASSERT_MESSAGE("exit status " + std::to_string(result.exitStatus) + output, result.exitStatus == 0);
        CPPUNIT_ASSERT_MESSAGE(output, result.out.find("userdata client: ok") != std::string::npos);
        assertComfyAskedNothing();
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UserDataRoutesTest);
