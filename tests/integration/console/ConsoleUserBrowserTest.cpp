// The web console's every-user pages in a real browser: Debian's chromium driven by
// playwright-core (tests/browser/console-user.mjs) against the real binary with the real auth,
// comfy-proxy (for /ws), model-download and userdata modules, a fake ComfyUI and a fake CivitAI.
// Screenshots of each page go to <build>/screenshots/console-*.png.
#include "../comfy-proxy/ComfyGateway.h"
#include "FakeCivitai.h"
#include "FakeHuggingFace.h"
#include "BrowserScript.h"

#include <filesystem>

using namespace comfygate::test;
namespace fakes = comfygate::fakes;

class ConsoleUserBrowserTest : public ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(ConsoleUserBrowserTest);
    CPPUNIT_TEST(signInLanguageAndSignOut);
    CPPUNIT_TEST(everyUserPage);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        BrowserScript::assertInstalled();
    }

    /// The shell: sign-in (errors next to the field, return to the page asked for), the
    /// overview, phone width, an unknown page, the language from the browser, sign-out.
    void signInLanguageAndSignOut()
    {
        useServer(startServerWithAccounts({{"alice", "user"}}, secretKey, "auth,comfy-proxy"));
        runScript("shell");
    }

    /// Every page of an ordinary user and of one who may download: MFA enrolment (the QR code,
    /// the first code computed by the test), sign-in with a code and with a backup code, an API
    /// token created, used and revoked after a confirmation, the CivitAI key stored and never
    /// shown, a download from the fake CivitAI followed over /ws to 100 %, a slow one cancelled,
    /// one that CivitAI refuses explained, one from the fake Hugging Face into another folder,
    /// a workflow's earlier version restored and the workflow deleted, a session on a second
    /// device ended from the security page, the password changed; an ordinary user does not
    /// see the download pages.
    void everyUserPage()
    {
        fakes::FakeCivitai civitai;
        civitai.addFile(fakes::FileSpec{"main", "juggernaut_v9.safetensors", 256 * 1024, 7, fakes::ContentKind::Prng});
        civitai.addFile(
            fakes::FileSpec{"slow", "slow_model.safetensors", 4 * 1024 * 1024, 8, fakes::ContentKind::Prng});
        fakes::CivitaiModel model;
        model.id = 100;
        model.name = "Juggernaut";
        civitai.addModel(model);
        addVersion(civitai, 1001, "main", 11);
        addVersion(civitai, 1002, "slow", 12);
        // A version CivitAI offers for on-site generation only: its download fails with a reason.
        civitai.addVersion([&] {
            fakes::CivitaiFile file;
            file.id = 13;
            file.fileKey = "main";
            file.type = "Model";
            fakes::CivitaiVersion version;
            version.id = 1003;
            version.modelId = 100;
            version.usageControl = "Generation";
            version.files = {file};
            return version;
        }());
        // Slow enough for the bar to move through several events, and the second one to be cancelled.
        fakes::Fault paced;
        paced.throttleBps = 128 * 1024;
        civitai.setFault("main", paced);
        fakes::Fault crawling;
        crawling.throttleBps = 16 * 1024;
        civitai.setFault("slow", crawling);
        civitai.start();

        fakes::FakeHuggingFace huggingFace;
        huggingFace.addFile(fakes::FileSpec{"unet", "flux_unet.safetensors", 96 * 1024, 21, fakes::ContentKind::Prng});
        fakes::HfRepo repo;
        repo.id = "org/flux";
        repo.revisions = {{"main", fakes::FakeHuggingFace::commitSha("main")}};
        repo.commits = {fakes::HfCommit{fakes::FakeHuggingFace::commitSha("main"),
                                        {fakes::HfEntry{"unet/flux_unet.safetensors", "unet", true}}}};
        huggingFace.addRepo(repo);
        huggingFace.start();

        TempDir models;
        useServer(startServerWithAccounts({{"alice", "user"}, {"maria", "admin"}}, secretKey,
                                          "auth,comfy-proxy,model-download,userdata",
                                          {{"experimental.mfa", "true"},
                                           {"downloads.civitai.base_url", civitai.apiUrl()},
                                           {"downloads.huggingface.base_url", huggingFace.apiUrl()},
                                           {"downloads.allow_private_addresses", "true"},
                                           {"comfy.models_dir", models.path()}}));
        runScript("user", {{"CIVITAI_URL", "https://civitai.com/models/100?modelVersionId=1001"},
                           {"CIVITAI_SLOW_VERSION", "1002"},
                           {"CIVITAI_GENERATION_ONLY_VERSION", "1003"},
                           {"HF_REPO", "org/flux"},
                           {"HF_FILE", "unet/flux_unet.safetensors"}});

        // What the browser did, seen from the server: the file arrived whole, the cancelled one not at all.
        CPPUNIT_ASSERT_EQUAL(std::uintmax_t(256 * 1024),
                             std::filesystem::file_size(models.path() + "/checkpoints/juggernaut_v9.safetensors"));
        CPPUNIT_ASSERT(!std::filesystem::exists(models.path() + "/checkpoints/slow_model.safetensors"));
        CPPUNIT_ASSERT_EQUAL(std::uintmax_t(96 * 1024),
                             std::filesystem::file_size(models.path() + "/unet/flux_unet.safetensors"));
    }

private:
    static void addVersion(fakes::FakeCivitai& civitai, int id, const std::string& fileKey, int fileId)
    {
        fakes::CivitaiFile file;
        file.id = fileId;
        file.fileKey = fileKey;
        file.type = "Model";
        file.size = "pruned";
        file.fp = "fp16";
        fakes::CivitaiVersion version;
        version.id = id;
        version.modelId = 100;
        version.files = {file};
        civitai.addVersion(version);
    }

    static inline const std::string secretKey = "console-user-browser-test-secret-0123456789";

    void runScript(const std::string& scenario, const std::map<std::string, std::string>& extra = {})
    {
        Poco::Process::Env env{
                               {"GATEWAY_URL", "http://127.0.0.1:" + std::to_string(_server->port())},
                               {"USER_NAME", "alice"},
                               {"MFA_USER", "maria"},
                               {"PASSWORD", accountPassword}};
        env["SCENARIO"] = scenario;
        for (const auto& [name, value] : extra)
            env[name] = value;
        BrowserScript::run("console-user", env, 240, scenario);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleUserBrowserTest);
