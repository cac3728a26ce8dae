#pragma once
// The presets settings/server checks both database backends run (PresetsSettingsTest on
// SQLite, PresetsSettingsPostgresTest on PostgreSQL): layered settings and their per-key rejections,
// restricted fields, write-only API keys, and InterruptAll confined to the caller's prompts.
#include "SettingsGateway.h"

#include "HttpTestClient.h"

#include <Poco/JSON/Array.h>
#include <Poco/RegularExpression.h>

#include <chrono>
#include <thread>

#define SETTINGS_CORE_CHECKS()                                                                                          \
    CPPUNIT_TEST(settingsStartFromTheSchemaAndKeepChanges);                                                            \
    CPPUNIT_TEST(changesApplyWhatFitsAndReportTheRest);                                                                \
    CPPUNIT_TEST(restrictedSettingsAreShownToAdminsAndChangedByNobody);                                                \
    CPPUNIT_TEST(apiKeysAreWriteOnly);                                                                                 \
    CPPUNIT_TEST(interruptAllCancelsOnlyTheCallersPrompts)

namespace comfygate::test::presets {

class SettingsChecks : public SettingsGatewayTest
{
public:
    void settingsStartFromTheSchemaAndKeepChanges()
    {
        const std::string alice = session("alice");
        auto settings = answer("GetUserSettings", alice);
        const auto dark = settings->getObject("themes")->getObject("modern_dark");
        CPPUNIT_ASSERT(dark && dark->getValue<bool>("is_dark") && dark->getArray("css_paths")->size() > 0);
        const auto quality = field(settings, "FileFormat.ImageQuality");
        CPPUNIT_ASSERT_EQUAL(std::string("integer"), quality->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(100, quality->getValue<int>("value"));
        CPPUNIT_ASSERT_EQUAL(100, quality->getValue<int>("default_value"));
        CPPUNIT_ASSERT_EQUAL(false, quality->getValue<bool>("is_secret"));
        CPPUNIT_ASSERT_EQUAL(std::string("group"), field(settings, "FileFormat")->getValue<std::string>("type"));
        const auto format = field(settings, "FileFormat.ImageFormat");
        CPPUNIT_ASSERT_EQUAL(std::string("dropdown"), format->getValue<std::string>("type"));
        CPPUNIT_ASSERT(format->getArray("values")->size() == format->getArray("value_names")->size());
        const auto language = field(settings, "Language");
        CPPUNIT_ASSERT_EQUAL(std::string("en"), language->getValue<std::string>("value"));
        CPPUNIT_ASSERT(contains(stringOf(language), "\"de\""));

        // As SwarmUI's client sends them: dotted paths, numbers as text, any case for a dropdown.
        auto changed = answer("ChangeUserSettings", alice,
                              R"({"rawData": {"settings": {"FileFormat.ImageQuality": "5",
                                  "FileFormat.ImageFormat": "jpg", "UI.HintsToShow": "a, b",
                                  "Audio.Volume": 0.25, "Language": "de", "EnterKeyGenerates": "false"}}})");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":true})"), stringOf(changed));
        settings = answer("GetUserSettings", alice);
        CPPUNIT_ASSERT_EQUAL(5, field(settings, "FileFormat.ImageQuality")->getValue<int>("value"));
        CPPUNIT_ASSERT_EQUAL(100, field(settings, "FileFormat.ImageQuality")->getValue<int>("default_value"));
        CPPUNIT_ASSERT_EQUAL(std::string("JPG"),
                             field(settings, "FileFormat.ImageFormat")->getValue<std::string>("value"));
        CPPUNIT_ASSERT_EQUAL(std::string("a || b"), field(settings, "UI.HintsToShow")->getValue<std::string>("value"));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.25, field(settings, "Audio.Volume")->getValue<double>("value"), 1e-9);
        CPPUNIT_ASSERT_EQUAL(false, field(settings, "EnterKeyGenerates")->getValue<bool>("value"));
        CPPUNIT_ASSERT_EQUAL(std::string("de"), field(settings, "Language")->getValue<std::string>("value"));

        // Another user, and another session of the same user.
        CPPUNIT_ASSERT_EQUAL(
            100, field(answer("GetUserSettings", session("bob")), "FileFormat.ImageQuality")->getValue<int>("value"));
        CPPUNIT_ASSERT_EQUAL(
            5, field(answer("GetUserSettings", session("alice")), "FileFormat.ImageQuality")->getValue<int>("value"));
        // Back to the default.
        answer("ChangeUserSettings", alice, R"({"rawData": {"settings": {"FileFormat.ImageQuality": 100}}})");
        CPPUNIT_ASSERT_EQUAL(
            100, field(answer("GetUserSettings", alice), "FileFormat.ImageQuality")->getValue<int>("value"));
    }

    void changesApplyWhatFitsAndReportTheRest()
    {
        const std::string bob = session("bob");
        auto changed = answer("ChangeUserSettings", bob,
                              R"({"rawData": {"settings": {"Nope": 1, "FileFormat.Nope": true,
                                  "FileFormat.ImageQuality": "many", "FileFormat.DPI": 10001, "FileFormat": {},
                                  "FileFormat.ImageFormat": "GIF", "Roles": ["owner"], "SaveFiles": 1,
                                  "MaxImagesInHistory": "7", "OutPathBuilder.Format": ["x"]}}})");
        CPPUNIT_ASSERT_EQUAL(true, changed->getValue<bool>("success"));
        const auto rejected = changed->getObject("rejected");
        CPPUNIT_ASSERT_MESSAGE(stringOf(changed), rejected);
        CPPUNIT_ASSERT_EQUAL(std::size_t(9), rejected->size());
        CPPUNIT_ASSERT_EQUAL(std::string("unknown setting"), rejected->getValue<std::string>("Nope"));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown setting"), rejected->getValue<std::string>("FileFormat.Nope"));
        CPPUNIT_ASSERT_EQUAL(std::string("must be an integer"),
                             rejected->getValue<std::string>("FileFormat.ImageQuality"));
        CPPUNIT_ASSERT_EQUAL(std::string("must be at most 10000"), rejected->getValue<std::string>("FileFormat.DPI"));
        CPPUNIT_ASSERT(contains(rejected->getValue<std::string>("FileFormat"), "group"));
        CPPUNIT_ASSERT(contains(rejected->getValue<std::string>("FileFormat.ImageFormat"), "must be one of: PNG"));
        CPPUNIT_ASSERT(contains(rejected->getValue<std::string>("Roles"), "restricted"));
        CPPUNIT_ASSERT_EQUAL(std::string("must be true or false"), rejected->getValue<std::string>("SaveFiles"));
        CPPUNIT_ASSERT_EQUAL(std::string("must be text"), rejected->getValue<std::string>("OutPathBuilder.Format"));
        // The one value that fits was applied; nothing else changed.
        const auto settings = answer("GetUserSettings", bob);
        CPPUNIT_ASSERT_EQUAL(7, field(settings, "MaxImagesInHistory")->getValue<int>("value"));
        CPPUNIT_ASSERT_EQUAL(100, field(settings, "FileFormat.ImageQuality")->getValue<int>("value"));
        CPPUNIT_ASSERT_EQUAL(std::string("PNG"),
                             field(settings, "FileFormat.ImageFormat")->getValue<std::string>("value"));
    }

    void restrictedSettingsAreShownToAdminsAndChangedByNobody()
    {
        const std::string alice = session("alice");
        CPPUNIT_ASSERT(field(answer("GetUserSettings", alice), "Roles").isNull());
        CPPUNIT_ASSERT(!contains(stringOf(answer("GetUserSettings", alice)), "\"Roles\""));
        const std::string ada = session("ada");
        const auto roles = field(answer("GetUserSettings", ada), "Roles");
        CPPUNIT_ASSERT_MESSAGE("an admin sees Roles", roles);
        CPPUNIT_ASSERT_EQUAL(std::string("list"), roles->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("admin"), roles->getValue<std::string>("value"));
        for (const std::string& who : {alice, ada}) {
            const auto changed = answer("ChangeUserSettings", who, R"({"rawData": {"settings": {"Roles": "owner"}}})");
            CPPUNIT_ASSERT(contains(changed->getObject("rejected")->getValue<std::string>("Roles"), "restricted"));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("admin"),
                             field(answer("GetUserSettings", ada), "Roles")->getValue<std::string>("value"));
    }

    void apiKeysAreWriteOnly()
    {
        const std::string alice = session("alice");
        const std::string key = "alice-civitai-key-0123456789";
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"status":"not set"})"),
                             stringOf(answer("GetAPIKeyStatus", alice, R"({"keyType": "civitai_api"})")));
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"({"success":true})"),
            stringOf(answer("SetAPIKey", alice, R"({"keyType": "civitai_api", "key": ")" + key + "\"}")));
        const auto status = call("GetAPIKeyStatus", alice, R"({"keyType": "civitai_api"})");
        CPPUNIT_ASSERT_MESSAGE(status.body, !contains(status.body, key));
        const Poco::RegularExpression shape("^last updated \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}$");
        CPPUNIT_ASSERT_MESSAGE(status.body, shape.match(status.json()->getValue<std::string>("status")));
        // Per user and per type.
        CPPUNIT_ASSERT_EQUAL(std::string("not set"),
                             answer("GetAPIKeyStatus", session("bob"), R"({"keyType": "civitai_api"})")
                                 ->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("not set"),
            answer("GetAPIKeyStatus", alice, R"({"keyType": "huggingface_api"})")->getValue<std::string>("status"));
        // Hostile and malformed.
        CPPUNIT_ASSERT_EQUAL(
            std::string("invalid_key_type"),
            refusal("SetAPIKey", alice, R"({"keyType": "openai_api", "key": "x"})")->getValue<std::string>("error_id"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("invalid_key_type"),
            refusal("GetAPIKeyStatus", alice, R"({"keyType": "../civitai"})")->getValue<std::string>("error_id"));
        CPPUNIT_ASSERT(
            contains(refusal("SetAPIKey", alice, R"({"keyType": "civitai_api"})")->getValue<std::string>("error"),
                     "Missing required parameter 'key'"));
        CPPUNIT_ASSERT(contains(refusal("GetAPIKeyStatus", alice, "{}")->getValue<std::string>("error"),
                                "Missing required parameter 'keyType'"));
        const auto spaced = refusal("SetAPIKey", alice, R"({"keyType": "civitai_api", "key": "two words"})");
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_input"), spaced->getValue<std::string>("error_id"));
        CPPUNIT_ASSERT(!contains(stringOf(spaced), "two words"));
        // "none" unsets.
        answer("SetAPIKey", alice, R"({"keyType": "civitai_api", "key": "none"})");
        CPPUNIT_ASSERT_EQUAL(
            std::string("not set"),
            answer("GetAPIKeyStatus", alice, R"({"keyType": "civitai_api"})")->getValue<std::string>("status"));
        CPPUNIT_ASSERT(!contains(_server->stderrText() + _server->stdoutText(), key));
    }

    void interruptAllCancelsOnlyTheCallersPrompts()
    {
        _comfy->setExecutionTime(std::chrono::seconds(30));
        const Headers aliceA = login(*_client, "alice", accountPassword);
        const Headers aliceB = login(*_client, "alice", accountPassword);
        const Headers bob = login(*_client, "bob", accountPassword);
        const std::string sessionA = sessionFrom(aliceA);
        const std::string sessionB = sessionFrom(aliceB);
        const std::string bobSession = sessionFrom(bob);

        const std::string running = submit(aliceA, sampleWorkflow());
        waitUntilRunning(running);
        const std::string a1 = submit(aliceA, sampleWorkflow(21));
        const std::string b1 = submit(aliceB, sampleWorkflow(22));
        const std::string bob1 = submit(bob, sampleWorkflow(23));
        const std::string a2 = submit(aliceA, sampleWorkflow(24));

        auto status = answer("GetCurrentStatus", sessionA);
        CPPUNIT_ASSERT_EQUAL(3, status->getObject("status")->getValue<int>("waiting_gens"));
        CPPUNIT_ASSERT_EQUAL(1, status->getObject("status")->getValue<int>("live_gens"));
        CPPUNIT_ASSERT_EQUAL(std::string("running"),
                             status->getObject("backend_status")->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(
            1, answer("GetCurrentStatus", bobSession)->getObject("status")->getValue<int>("waiting_gens"));

        // Session B: only its own pending prompt; A's running prompt keeps running.
        _comfy->clearRequests();
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":true})"), stringOf(answer("InterruptAll", sessionB)));
        CPPUNIT_ASSERT_EQUAL(std::string(running + "|" + a1 + "," + bob1 + "," + a2), upstreamQueue());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), interruptsSeen());
        // Bob, with every session: nothing of alice's.
        answer("InterruptAll", bobSession, R"({"other_sessions": "true"})");
        CPPUNIT_ASSERT_EQUAL(std::string(running + "|" + a1 + "," + a2), upstreamQueue());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), interruptsSeen());
        CPPUNIT_ASSERT(!contains(upstreamQueue(), b1));
        // Session A with other_sessions: every prompt of alice's, session B's too, and the running
        // one (interrupted by its id, never a bare /interrupt); bob's new prompt stays.
        const std::string b2 = submit(aliceB, sampleWorkflow(25));
        const std::string bob2 = submit(bob, sampleWorkflow(26));
        answer("InterruptAll", sessionA, R"({"other_sessions": true})");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), interruptsSeen());
        for (const auto& request : _comfy->requests())
            if (request.uri == "/interrupt")
                CPPUNIT_ASSERT_EQUAL(std::string(R"({"prompt_id":")" + running + "\"}"), request.body);
        const std::string left = upstreamQueue();
        for (const auto& gone : {a1, a2, b2})
            CPPUNIT_ASSERT_MESSAGE(left, !contains(left, gone));
        CPPUNIT_ASSERT_MESSAGE(left, contains(left, bob2));
        const auto mistyped = refusal("InterruptAll", sessionA, R"({"other_sessions": "sometimes"})");
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'other_sessions': must be type bool"),
                             mistyped->getValue<std::string>("error"));
    }

protected:
    std::string sessionFrom(const Headers& signedIn)
    {
        auto result = _client->postJson("/API/GetNewSession", "{}", signedIn);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("session_id");
    }

    /// ComfyUI's own queue: "running|pending,pending,...".
    std::string upstreamQueue()
    {
        HttpTestClient comfy(_comfy->port());
        const auto queue = comfy.get("/queue").json();
        auto ids = [](const Poco::JSON::Array::Ptr& items) {
            std::string text;
            for (std::size_t i = 0; items && i < items->size(); ++i)
                text +=
                    (text.empty() ? "" : ",") + items->getArray(static_cast<unsigned>(i))->getElement<std::string>(1);
            return text;
        };
        return ids(queue->getArray("queue_running")) + "|" + ids(queue->getArray("queue_pending"));
    }

    void waitUntilRunning(const std::string& promptId)
    {
        for (int i = 0; i < 200; ++i) {
            if (upstreamQueue().rfind(promptId + "|", 0) == 0)
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        CPPUNIT_FAIL("prompt " + promptId + " did not start: " + upstreamQueue());
    }

    std::size_t interruptsSeen() const
    {
        std::size_t count = 0;
        for (const auto& request : _comfy->requests())
            count += request.method == "POST" && request.uri == "/interrupt";
        return count;
    }
};

} // namespace comfygate::test::presets
