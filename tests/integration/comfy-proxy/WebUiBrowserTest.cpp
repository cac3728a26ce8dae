// The ComfyUI web UI through the real gateway in a real browser: Debian's chromium, driven by
// playwright-core (tests/browser/webui.mjs), against the fake ComfyUI's front end. Signs in
// (password; MFA enrolment and code), boots the front end, queues a prompt and shows its image,
// proves a second user sees none of it, and signs out from the gateway's extension; and, with
// ComfyUI in its default mode, an ordinary user saves, lists and reopens a workflow and a setting
// the userdata module keeps (none of those calls reaches ComfyUI).
#include "ComfyGateway.h"
#include "BrowserScript.h"

using namespace comfygate::test;

class WebUiBrowserTest : public ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(WebUiBrowserTest);
    CPPUNIT_TEST(signInUseAndSignOutInABrowser);
    CPPUNIT_TEST(anOrdinaryUserSavesAndReopensAWorkflow);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        BrowserScript::assertInstalled();
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
        Poco::Process::Env env{
                               {"GATEWAY_URL", "http://127.0.0.1:" + std::to_string(_server->port())},
                               {"FIRST_USER", "alice"},
                               {"SECOND_USER", "bob"},
                               {"MFA_USER", "maria"},
                               {"PASSWORD", accountPassword}};
        env["SCENARIO"] = scenario;
        for (const auto& [name, value] : extra)
            env[name] = value;
        BrowserScript::run("webui", env, 180, scenario);
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
