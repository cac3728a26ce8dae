// The ComfyUI web UI through the real gateway in a real browser: Debian's chromium, driven by
// playwright-core (tests/browser/webui.mjs), against the fake ComfyUI's front end. Signs in
// (password; MFA enrolment and code), boots the front end, queues a prompt and shows its image,
// proves a second user sees none of it, and signs out from the gateway's extension; and, with
// ComfyUI in its default mode, an ordinary user saves, lists and reopens a workflow and a setting
// the userdata module keeps (none of those calls reaches ComfyUI).
#include "ComfyGateway.h"

#include <Poco/Environment.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

using namespace comfygate::test;

namespace {

const std::string playwrightDir = COMFYGATE_BUILD_DIR "/playwright-core";

std::string chromium()
{
    return Poco::Environment::get("COMFYGATE_CHROMIUM", "/usr/bin/chromium");
}

} // namespace

class WebUiBrowserTest : public ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(WebUiBrowserTest);
    CPPUNIT_TEST(signInUseAndSignOutInABrowser);
    CPPUNIT_TEST(anOrdinaryUserSavesAndReopensAWorkflow);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        // A missing browser or driver fails the suite: it must never pass by not running.
        CPPUNIT_ASSERT_MESSAGE("chromium is not installed at " + chromium() + ": run scripts/dev deps",
                               Poco::File(chromium()).exists());
        CPPUNIT_ASSERT_MESSAGE("playwright-core is not installed in " + playwrightDir + ": run scripts/dev deps",
                               Poco::File(playwrightDir + "/node_modules/playwright-core/package.json").exists());
    }

    void signInUseAndSignOutInABrowser()
    {
        // maria is an admin, who must enrol in MFA with experimental.mfa; with comfy.multi_user
        // each user has their own ComfyUI user, as a shared server runs.
        useServer(startServerWithAccounts({{"alice", "user"}, {"bob", "user"}, {"maria", "admin"}},
                                          "web-ui-browser-test-secret-0123456789abcdef", modules,
                                          {{"experimental.mfa", "true"}, {"comfy.multi_user", "true"}}));
        runScript("session");
        assertNoUserDataReachedComfy();
    }

    /// ComfyUI in its default mode (no --multi-user): the gateway keeps every user's workflows
    /// and settings, so an ordinary user saves, lists and reopens their own.
    void anOrdinaryUserSavesAndReopensAWorkflow()
    {
        useServer(startServerWithAccounts({{"alice", "user"}, {"bob", "user"}},
                                          "web-ui-browser-test-secret-0123456789abcdef", modules,
                                          {{"comfy.multi_user", "false"}}));
        runScript("workflows", {{"WORKFLOW_NAME", "fox-in-the-snow"}});
        assertNoUserDataReachedComfy();
        // The saved file is alice's, in the gateway, as the front end sent it.
        const Headers alice = login(*_client, "alice", accountPassword);
        auto saved = _client->get("/api/userdata/workflows%2Ffox-in-the-snow.json", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(saved.body, 200, saved.status);
        CPPUNIT_ASSERT(saved.body.find("\"marker\":\"fox-in-the-snow\"") != std::string::npos);
    }

private:
    static inline const std::string modules = "auth,comfy-proxy,userdata";

    void runScript(const std::string& scenario, const std::map<std::string, std::string>& extra = {})
    {
        Poco::Path node;
        CPPUNIT_ASSERT_MESSAGE("node is not on the PATH: run scripts/dev deps",
                               Poco::Path::find(Poco::Environment::get("PATH", ""), "node", node));
        Poco::Process::Env env{{"GATEWAY_URL", "http://127.0.0.1:" + std::to_string(_server->port())},
                               {"FIRST_USER", "alice"},
                               {"SECOND_USER", "bob"},
                               {"MFA_USER", "maria"},
                               {"PASSWORD", accountPassword},
                               {"PLAYWRIGHT_DIR", playwrightDir},
                               {"CHROMIUM", chromium()},
                               {"SCENARIO", scenario}};
        for (const auto& [name, value] : extra)
            env[name] = value;
        // timeout(1) bounds a hung browser; the script's own steps time out after 20 s each.
        const Poco::Process::Args args{"180", node.toString(), COMFYGATE_SOURCE_DIR "/tests/browser/webui.mjs"};
        Poco::Pipe output;
        auto process =
            Poco::Process::launch("/usr/bin/timeout", args, COMFYGATE_SOURCE_DIR, nullptr, &output, &output, env);
        Poco::PipeInputStream stream(output);
        std::string text;
        Poco::StreamCopier::copyToString(stream, text);
        const int status = process.wait();
        CPPUNIT_ASSERT_EQUAL_MESSAGE("tests/browser/webui.mjs (" + scenario + "):\n" + text, 0, status);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("webui: all steps passed") != std::string::npos);
    }

    /// The userdata module answers ComfyUI's userdata, settings and users calls itself.
    void assertNoUserDataReachedComfy()
    {
        for (const auto& recorded : _comfy->requests()) {
            for (const char* prefix : {"/userdata", "/api/userdata", "/v2/userdata", "/api/v2/userdata", "/settings",
                                       "/api/settings", "/users", "/api/users"})
                CPPUNIT_ASSERT_MESSAGE(recorded.method + " " + recorded.uri + " reached ComfyUI",
                                       recorded.uri.rfind(prefix, 0) != 0);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(WebUiBrowserTest);
