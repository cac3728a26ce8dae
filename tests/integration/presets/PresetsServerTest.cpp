// The presets module in the real binary on SQLite, over real HTTP (PresetsChecks.h), plus what
// concerns one process: restarts keep everything, and a deleted user's presets go.
#include "PresetsChecks.h"

#include <chrono>
#include <thread>

using namespace comfygate::test::presets;

class PresetsServerTest : public PresetsChecks
{
    CPPUNIT_TEST_SUITE(PresetsServerTest);
    PRESETS_CORE_CHECKS();
    CPPUNIT_TEST(restartKeepsPresetsAndDeletedUsersLoseThem);
    CPPUNIT_TEST_SUITE_END();

public:
    void restartKeepsPresetsAndDeletedUsersLoseThem()
    {
        addPreset(bob, "bobs", R"({"preview_image":")" + dataUrl("image/png", pngFile(30, 30)) + R"("})");
        ok(bob, "SetStarredModels", R"({"LoRA":["x.safetensors"]})");
        addPreset(alice, "alices");
        _server->stop();
        _server->start();
        _client = std::make_unique<comfygate::test::HttpTestClient>(_server->port());
        alice = signIn("alice");
        CPPUNIT_ASSERT_EQUAL(std::string("alices"), titlesOf(alice));

        // An admin deletes bob; the next sweep (one runs shortly after every start) removes his data.
        auto deleted = _client->request("DELETE", "/mss-login/api/users/bob", "",
                                        {{"Cookie", chief.cookie}, {"Origin", origin()}});
        if (deleted.status == 401) {
            chief = signIn("chief");
            deleted = _client->request("DELETE", "/mss-login/api/users/bob", "",
                                       {{"Cookie", chief.cookie}, {"Origin", origin()}});
        }
        CPPUNIT_ASSERT_EQUAL_MESSAGE(deleted.body, 200, deleted.status);
        _server->stop();
        _server->start();
        _client = std::make_unique<comfygate::test::HttpTestClient>(_server->port());
        const std::string line = "removed the presets and user documents of 1 deleted user(s)";
        bool swept = false;
        for (int i = 0; i < 100 && !swept; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            swept = (_server->stderrText() + _server->stdoutText()).find(line) != std::string::npos;
        }
        CPPUNIT_ASSERT_MESSAGE(_server->stderrText().substr(0, 3000), swept);
        alice = signIn("alice");
        CPPUNIT_ASSERT_EQUAL(std::string("alices"), titlesOf(alice));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PresetsServerTest);
