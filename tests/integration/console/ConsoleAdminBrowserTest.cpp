// The web console's admin pages in a real browser: Debian's chromium driven by playwright-core
// (tests/browser/console-admin.mjs) against the real binary with the real auth and comfy-proxy
// modules and a fake ComfyUI. An admin creates, disables and deletes a user, resets a user's MFA
// (enrolled over HTTP first), edits the permission matrix (and the ordinary user's access changes
// over HTTP), shares a model and stops sharing it, tags a real output file NSFW, edits
// the IP lists, breaks a policy file on disk and sees its file:line after a reload, filters the
// audit log and watches the live charts; an ordinary user in a second browser context sees no
// admin page and gets 403 from their APIs. Screenshots go to <build>/screenshots/console-admin-*.png.
#include "../comfy-proxy/ComfyGateway.h"
#include "BrowserScript.h"

#include <Poco/DirectoryIterator.h>

#include <fstream>
#include <iterator>

using namespace comfygate::test;

class ConsoleAdminBrowserTest : public ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(ConsoleAdminBrowserTest);
    CPPUNIT_TEST(everyAdminPage);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        BrowserScript::assertInstalled();
    }

    void everyAdminPage()
    {
        copyShippedPolicies();
        useServer(startServerWithAccounts({{"maria", "admin"}, {"alice", "user"}}, secretKey, "auth,comfy-proxy",
                                          {{"policy.dir", _policies.path()}, {"policy.watch_seconds", "0"}}));
        // An output file the fake ComfyUI holds, made by the ordinary user: the NSFW page tags it.
        const auto alice = login(*_client, "alice", accountPassword);
        const auto image = waitForImage(alice, submit(alice, sampleWorkflow()));
        runScript(image->getValue<std::string>("filename"), image->getValue<std::string>("subfolder"));

        // The file the browser broke and then fixed in the policies page holds the fixed text,
        // and the CLI finds the policies sound.
        std::ifstream saved(_policies.file("console_broken.lua"));
        const std::string text((std::istreambuf_iterator<char>(saved)), std::istreambuf_iterator<char>());
        CPPUNIT_ASSERT_EQUAL(std::string("-- fixed in the console\nlocal unused = true\n"), text);
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(out + err, 0, _server->runCommand({"policy", "check"}, out, err));
    }

private:
    static inline const std::string secretKey = "console-admin-browser-test-secret-0123456789";

    void copyShippedPolicies()
    {
        Poco::File(_policies.file("lib")).createDirectories();
        for (const std::string sub : {"", "lib/"}) {
            for (Poco::DirectoryIterator it(COMFYGATE_SOURCE_DIR "/scripts/policy/" + sub), end; it != end; ++it) {
                if (it->isFile() && Poco::Path(it->path()).getExtension() == "lua")
                    Poco::File(it->path()).copyTo(_policies.file(sub));
            }
        }
    }

    void runScript(const std::string& outputFile, const std::string& outputSubfolder)
    {
        Poco::Process::Env env{
                               {"GATEWAY_URL", "http://127.0.0.1:" + std::to_string(_server->port())},
                               {"ADMIN_NAME", "maria"},
                               {"USER_NAME", "alice"},
                               {"PASSWORD", accountPassword},
                               {"POLICY_DIR", _policies.path()},
                               {"NSFW_FILE", outputFile},
                               {"NSFW_SUBFOLDER", outputSubfolder}};
        BrowserScript::run("console-admin", env, 300);
    }

    TempDir _policies;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleAdminBrowserTest);
