// The presets module's SwarmUI settings and server routes over real HTTP on SQLite: the core
// checks (SettingsChecks.h) plus parameters, the operator's defaults, languages, status when
// ComfyUI is down, the owner-only debug message, and what happens without a session.
#include "SettingsChecks.h"
#include "WebSocketTestClient.h"

#include "PooledDatabase.h"

#include <Poco/Data/Session.h>

using comfygate::test::Headers;

class PresetsSettingsTest : public comfygate::test::presets::SettingsChecks
{
    CPPUNIT_TEST_SUITE(PresetsSettingsTest);
    SETTINGS_CORE_CHECKS();
    CPPUNIT_TEST(changeUserSettingsChecksItsParameters);
    CPPUNIT_TEST(operatorDefaultsSitBetweenSchemaAndUser);
    CPPUNIT_TEST(languagesFallBackToEnglishAndNeverReadFiles);
    CPPUNIT_TEST(statusSaysWhatToDoWhenComfyIsDown);
    CPPUNIT_TEST(debugMessagesAreForTheOwnerOnly);
    CPPUNIT_TEST(routesNeedASessionAndTheirPermission);
    CPPUNIT_TEST(auditNamesTheActorNeverTheKey);
    CPPUNIT_TEST_SUITE_END();

public:
    void changeUserSettingsChecksItsParameters()
    {
        const std::string alice = session("alice");
        CPPUNIT_ASSERT_EQUAL(std::string("Missing required parameter 'rawData'"),
                             refusal("ChangeUserSettings", alice)->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("Invalid value for parameter 'rawData': must be type object"),
            refusal("ChangeUserSettings", alice, R"({"rawData": "Theme=x"})")->getValue<std::string>("error"));
        for (const char* body : {R"({"rawData": {}})", R"({"rawData": {"settings": ["Theme"]}})"})
            CPPUNIT_ASSERT_EQUAL(std::string("invalid_input"),
                                 refusal("ChangeUserSettings", alice, body)->getValue<std::string>("error_id"));
        // An empty change is a success that changes nothing.
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":true})"),
                             stringOf(answer("ChangeUserSettings", alice, R"({"rawData": {"settings": {}}})")));
        // A guest reads settings (GUEST tier) but cannot change them (USER tier).
        const std::string gus = session("gus");
        answer("GetUserSettings", gus);
        CPPUNIT_ASSERT(call("ChangeUserSettings", gus, R"({"rawData": {"settings": {"Theme": "modern_light"}}})")
                           .body.find("\"success\"") == std::string::npos);
    }

    void operatorDefaultsSitBetweenSchemaAndUser()
    {
        restartPresets(
            {{"presets.default_user.FileFormat.ImageQuality", "80"}, {"presets.default_user.Theme", "modern_light"}});
        const std::string alice = session("alice");
        auto quality = field(answer("GetUserSettings", alice), "FileFormat.ImageQuality");
        CPPUNIT_ASSERT_EQUAL(80, quality->getValue<int>("value"));
        CPPUNIT_ASSERT_EQUAL(80, quality->getValue<int>("default_value"));
        // alice sets what is the default now (not stored: she follows the default), bob his own.
        answer("ChangeUserSettings", alice, R"({"rawData": {"settings": {"FileFormat.ImageQuality": 80}}})");
        const std::string bob = session("bob");
        answer("ChangeUserSettings", bob, R"({"rawData": {"settings": {"FileFormat.ImageQuality": 90}}})");

        restartPresets({{"presets.default_user.FileFormat.ImageQuality", "70"}});
        CPPUNIT_ASSERT_EQUAL(
            70, field(answer("GetUserSettings", session("alice")), "FileFormat.ImageQuality")->getValue<int>("value"));
        CPPUNIT_ASSERT_EQUAL(
            90, field(answer("GetUserSettings", session("bob")), "FileFormat.ImageQuality")->getValue<int>("value"));
        CPPUNIT_ASSERT_EQUAL(std::string("modern_dark"),
                             field(answer("GetUserSettings", session("bob")), "Theme")->getValue<std::string>("value"));
    }

    void languagesFallBackToEnglishAndNeverReadFiles()
    {
        const std::string gus = session("gus"); // GUEST tier
        const auto de = answer("GetLanguage", gus, R"({"language": "de"})")->getObject("language");
        CPPUNIT_ASSERT_EQUAL(std::string("de"), de->getValue<std::string>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("German"), de->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("Deutsch"), de->getValue<std::string>("local_name"));
        const auto keys = de->getObject("keys");
        CPPUNIT_ASSERT_EQUAL(std::string("Bildformat"), keys->getValue<std::string>("Image Format"));
        CPPUNIT_ASSERT_EQUAL(std::string("Einstellungen"), keys->getValue<std::string>("Settings"));
        CPPUNIT_ASSERT_EQUAL(std::string("DPI"), keys->getValue<std::string>("DPI")); // from English
        const auto en = answer("GetLanguage", gus, R"({"language": "en"})")->getObject("language")->getObject("keys");
        CPPUNIT_ASSERT_EQUAL(en->size(), keys->size());

        for (const char* code :
             {"../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "/etc/passwd", "de/../../x", "de.json", "", "DE"})
            CPPUNIT_ASSERT_EQUAL(std::string("invalid_language"),
                                 refusal("GetLanguage", gus, std::string(R"({"language": ")") + code + "\"}")
                                     ->getValue<std::string>("error_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown_language"),
                             refusal("GetLanguage", gus, R"({"language": "fr"})")->getValue<std::string>("error_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_language"),
                             refusal("GetLanguage", gus, R"({"language": 5})")->getValue<std::string>("error_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("Missing required parameter 'language'"),
                             refusal("GetLanguage", gus)->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'language': must be type string"),
                             refusal("GetLanguage", gus, R"({"language": ["de"]})")->getValue<std::string>("error"));
    }

    void statusSaysWhatToDoWhenComfyIsDown()
    {
        const std::string alice = session("alice");
        auto status = answer("GetCurrentStatus", alice);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"live_gens":0,"loading_models":0,"waiting_backends":0,"waiting_gens":0})"),
                             stringOf(status->getObject("status")));
        CPPUNIT_ASSERT_EQUAL(std::string("idle"), status->getObject("backend_status")->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("comfyui"),
                             status->getArray("supported_features")->getElement<std::string>(0));

        _comfy->stop();
        status = answer("GetCurrentStatus", alice);
        const auto backend = status->getObject("backend_status");
        CPPUNIT_ASSERT_EQUAL(std::string("errored"), backend->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), backend->getValue<std::string>("class"));
        const std::string message = backend->getValue<std::string>("message");
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "does not answer") && contains(message, "comfy.url"));
        CPPUNIT_ASSERT_EQUAL(0, status->getObject("status")->getValue<int>("waiting_gens"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), status->getArray("supported_features")->size());
        CPPUNIT_ASSERT_EQUAL(std::string("backend_unavailable"),
                             refusal("InterruptAll", alice)->getValue<std::string>("error_id"));
    }

    void debugMessagesAreForTheOwnerOnly()
    {
        const std::string olga = session("olga");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":true})"),
                             stringOf(answer("ServerDebugMessage", olga, R"({"message": "hello from the owner"})")));
        for (int i = 0; i < 100 && !contains(_server->stderrText() + _server->stdoutText(), "hello from the owner");
             ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        CPPUNIT_ASSERT(
            contains(_server->stderrText() + _server->stdoutText(), "debug message from olga: hello from the owner"));
        CPPUNIT_ASSERT(contains(refusal("ServerDebugMessage", olga)->getValue<std::string>("error"),
                                "Missing required parameter 'message'"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("Invalid value for parameter 'message': must be type string"),
            refusal("ServerDebugMessage", olga, R"({"message": {"text": "x"}})")->getValue<std::string>("error"));
        for (const char* who : {"ada", "alice"}) {
            const auto refused = call("ServerDebugMessage", session(who), R"({"message": "not mine to say"})");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.body, 400, refused.status);
            CPPUNIT_ASSERT_MESSAGE(refused.body, contains(refused.body, "\"bad_permissions\""));
        }
        CPPUNIT_ASSERT(!contains(_server->stderrText() + _server->stdoutText(), "not mine to say"));
    }

    void routesNeedASessionAndTheirPermission()
    {
        // No credential at all is SwarmUI's basic_api; an unknown session is 401.
        const auto noSession = _client->postJson("/API/GetUserSettings", "{}");
        CPPUNIT_ASSERT_EQUAL(400, noSession.status);
        CPPUNIT_ASSERT_MESSAGE(noSession.body, contains(noSession.body, "\"basic_api\""));
        const auto badSession =
            _client->postJson("/API/GetUserSettings", R"({"session_id": "0123456789abcdef0123456789abcdef01234567"})");
        CPPUNIT_ASSERT_EQUAL(401, badSession.status);
        CPPUNIT_ASSERT(contains(badSession.body, "invalid_session_id"));
        // InterruptAll is basic_image_generation (USER tier): not for a guest.
        const auto guest = call("InterruptAll", session("gus"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(guest.body, 400, guest.status);
        CPPUNIT_ASSERT_MESSAGE(guest.body, contains(guest.body, "\"bad_permissions\""));
        // The installer is never offered: a WebSocket route (a POST is the wrong transport), and
        // refused there with already_installed, then a normal close.
        const std::string olga = session("olga");
        const auto install = call("InstallConfirmWS", olga);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(install.body, 400, install.status);
        CPPUNIT_ASSERT_MESSAGE(install.body, contains(install.body, "\"bad_request_method\""));
        comfygate::test::WebSocketTestClient socket(_server->port(), "/API/installconfirmws");
        socket.sendText("{\"session_id\": \"" + olga + "\", \"theme\": \"modern_dark\", \"install_amd\": \"false\"}");
        const auto frames = socket.drain(std::chrono::seconds(3));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), frames.size());
        CPPUNIT_ASSERT_EQUAL(std::string("already_installed"), frames[0].json()->getValue<std::string>("error_id"));
        CPPUNIT_ASSERT(frames[1].isClose());
        // Without the install permission (NOBODY tier: owner only) the socket says so instead.
        comfygate::test::WebSocketTestClient denied(_server->port(), "/API/InstallConfirmWS");
        denied.sendText("{\"session_id\": \"" + session("alice") + "\"}");
        const auto deniedFrames = denied.drain(std::chrono::seconds(3));
        CPPUNIT_ASSERT(!deniedFrames.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("bad_permissions"), deniedFrames[0].json()->getValue<std::string>("error_id"));
    }

    void auditNamesTheActorNeverTheKey()
    {
        const std::string alice = session("alice");
        answer("SetAPIKey", alice, R"({"keyType": "huggingface_api", "key": "hf_audited_key_0123"})");
        answer("SetAPIKey", alice, R"({"keyType": "huggingface_api", "key": "none"})");
        answer("ServerDebugMessage", session("olga"), R"({"message": "for the \"audit\""})");

        comfygate::DatabaseSettings settings;
        settings.sqlitePath = _data.path() + "/comfygate.db";
        comfygate::PooledDatabase database(settings);
        database.open();
        std::string seen;
        for (const auto& row : database.select("SELECT actor, action, target, detail FROM audit_log WHERE action IN "
                                               "('apikey.set', 'apikey.clear', 'swarm.debug_message') ORDER BY id",
                                               {}))
            seen += row[0].convert<std::string>() + " " + row[1].convert<std::string>() + " " +
                    row[2].convert<std::string>() + " " + row[3].convert<std::string>() + "|";
        CPPUNIT_ASSERT_EQUAL(std::string("alice apikey.set huggingface |alice apikey.clear huggingface |"
                                         "olga swarm.debug_message olga {\"message\":\"for the \\\"audit\\\"\"}|"),
                             seen);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PresetsSettingsTest);
