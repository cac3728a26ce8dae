// SetAPIKey feeds the model downloader: a CivitAI key a user stores through SwarmUI's route is
// the key the model-download module sends when that user downloads (the fake CivitAI only
// serves the login-required version to a valid token), and "none" takes it away again.
#include "../model-download/DownloadServer.h"

#include "FakeCivitai.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Object.h>

#include <memory>
#include <string>

using comfygate::test::DownloadServer;
namespace fakes = comfygate::fakes;

namespace {

constexpr int modelId = 100;
constexpr int loginRequiredVersion = 1005;
const std::string downloads = "/mss-login/api/model-download";

} // namespace

class PresetsApiKeyDownloadTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PresetsApiKeyDownloadTest);
    CPPUNIT_TEST(aKeySetThroughSwarmIsUsedByTheUsersDownloads);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _civitai = std::make_unique<fakes::FakeCivitai>();
        _civitai->addFile(fakes::FileSpec{"vae", "model_vae.safetensors", 32 * 1024, 10, fakes::ContentKind::Prng});
        fakes::CivitaiModel model;
        model.id = modelId;
        model.name = "Juggernaut";
        _civitai->addModel(model);
        fakes::CivitaiFile file;
        file.id = 51;
        file.fileKey = "vae";
        file.type = "Model";
        file.size = "pruned";
        file.fp = "fp16";
        fakes::CivitaiVersion version;
        version.id = loginRequiredVersion;
        version.modelId = modelId;
        version.files = {file};
        version.requireAuth = true;
        _civitai->addVersion(version);
        _civitai->start();

        _server = std::make_unique<DownloadServer>(std::map<std::string, std::string>{
            {"modules.enabled", "auth,model-download,presets"}, {"downloads.civitai.base_url", _civitai->apiUrl()}});
        _server->addUser("alma", "admin"); // can_download_models is an admin permission by default
        _server->start();
    }

    void tearDown() override
    {
        _server.reset();
        _civitai.reset();
    }

    void aKeySetThroughSwarmIsUsedByTheUsersDownloads()
    {
        const auto alma = _server->login("alma");
        auto created = _server->client().postJson("/API/GetNewSession", "{}", alma);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 200, created.status);
        const std::string session = created.json()->getValue<std::string>("session_id");

        // No key yet: the downloader refuses a CivitAI download.
        CPPUNIT_ASSERT_EQUAL(400, queue(alma).status);

        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":true})"),
                             swarm("SetAPIKey", session, R"("keyType":"civitai_api","key":"tok-ok")").body);
        const auto keys = _server->client().get(downloads + "/api-keys", alma);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"sources_with_keys":["civitai"]})"), keys.body);
        auto queued = queue(alma);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(queued.body, 200, queued.status);
        const auto job =
            DownloadServer::waitForStatus(*_server, alma, queued.json()->getValue<std::string>("job_id"), "completed");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(job->optValue<std::string>("error", ""), std::string("completed"),
                                     job->getValue<std::string>("status"));
        // The fake saw the key: the login-required version was resolved with an Authorization.
        const auto withKey = _civitai->log([](const fakes::LogEntry& e) {
            return e.listener == "api" && e.authorization && e.path == "/api/v1/model-versions/1005" && e.status == 200;
        });
        CPPUNIT_ASSERT(!withKey.empty());
        CPPUNIT_ASSERT(_civitai->log([](const fakes::LogEntry& e) { return e.listener == "storage"; }).size() >= 1);

        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":true})"),
                             swarm("SetAPIKey", session, R"("keyType":"civitai_api","key":"none")").body);
        const auto cleared = _server->client().get(downloads + "/api-keys", alma);
        CPPUNIT_ASSERT_MESSAGE(cleared.body, cleared.body.find("civitai") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(400, queue(alma).status);
    }

private:
    comfygate::test::HttpResult queue(const DownloadServer::Headers& who)
    {
        return _server->client().postJson(
            downloads + "/download",
            R"({"source":"civitai","model_version_id":")" + std::to_string(loginRequiredVersion) + "\"}", who);
    }

    comfygate::test::HttpResult swarm(const std::string& route, const std::string& session, const std::string& members)
    {
        return _server->client().postJson("/API/" + route, R"({"session_id":")" + session + "\"," + members + "}");
    }

    std::unique_ptr<fakes::FakeCivitai> _civitai;
    std::unique_ptr<DownloadServer> _server;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PresetsApiKeyDownloadTest);
