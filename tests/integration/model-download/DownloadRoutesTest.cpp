// MSS-Login's model-download API in the real binary with the real auth module: every route's
// shape and twin, sealed API keys, validation, ownership, target_username, the per-user cap
// and the download policy. The queue is paused (downloads.max_active = 0), so jobs stay
// queued and nothing leaves the machine; transfers are DownloadTransferTest's business.
#include "DownloadServer.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>

#include <fstream>
#include <sstream>

using comfygate::test::DownloadServer;
using comfygate::test::HttpResult;
using Headers = std::map<std::string, std::string>;

namespace {

const std::string base = "/mss-login/api/model-download";

std::string fileText(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

class DownloadRoutesTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(DownloadRoutesTest);
    CPPUNIT_TEST(sourcesFoldersAndTwinsAnswerInMssShapes);
    CPPUNIT_TEST(apiKeysAreSealedPerUserAndNeverReturned);
    CPPUNIT_TEST(badBodiesAreRefusedWithAClearMessage);
    CPPUNIT_TEST(everyRouteNeedsTheDownloadPermission);
    CPPUNIT_TEST(jobsAreListedPolledAndCancelledByTheirOwnerOnly);
    CPPUNIT_TEST(targetUsernameNeedsSharingAndUsesTheTargetsKey);
    CPPUNIT_TEST(perUserCapAndPolicyRefusals);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _policyDir = std::make_unique<comfygate::test::TempDir>();
        _policyDir->write("download.lua", R"(
policy.on("download", function(subject, request)
    if request.repo_id == "org/forbidden" then
        return false, "org/forbidden is off limits for " .. subject.role
    end
end)
)");
        _server = std::make_unique<DownloadServer>(Headers{
            {"downloads.max_active", "0"}, {"downloads.max_queued_per_user", "3"}, {"policy.dir", _policyDir->path()}});
        _server->addUser("boss", "owner");
        _server->addUser("ada", "admin");
        _server->addUser("alma", "admin");
        _server->addUser("bob", "user");
        _server->start();
    }

    void tearDown() override
    {
        _server.reset();
        _policyDir.reset();
    }

    void sourcesFoldersAndTwinsAnswerInMssShapes()
    {
        const auto ada = _server->login("ada");
        for (const std::string prefix : {"", "/api"}) {
            auto sources = _server->client().get(prefix + base + "/sources", ada);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(sources.body, 200, sources.status);
            const auto body = sources.json();
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), body->getArray("sources")->size());
            CPPUNIT_ASSERT_EQUAL(std::size_t(0), body->getArray("sources_with_keys")->size());
            const auto capabilities = body->getObject("capabilities");
            const auto limits = capabilities->getObject("limits");
            CPPUNIT_ASSERT_EQUAL(0, limits->getValue<int>("active_total")); // configured: paused
            CPPUNIT_ASSERT_EQUAL(3, limits->getValue<int>("active_civitai"));
            CPPUNIT_ASSERT_EQUAL(2, limits->getValue<int>("active_huggingface"));
            CPPUNIT_ASSERT_EQUAL(false, capabilities->getObject("experimental")->getValue<bool>("s3"));
            CPPUNIT_ASSERT_EQUAL(std::string("civitai.com"),
                                 capabilities->getValue<std::string>("default_civitai_host"));
            CPPUNIT_ASSERT_EQUAL(std::size_t(5), capabilities->getArray("civitai_fields")->size());
            CPPUNIT_ASSERT_EQUAL(std::string("repo_id"),
                                 capabilities->getArray("huggingface_fields")->getElement<std::string>(0));

            auto folders = _server->client().get(prefix + base + "/folders", ada).json();
            CPPUNIT_ASSERT_EQUAL(std::string("checkpoints"), folders->getValue<std::string>("default_folder"));
            CPPUNIT_ASSERT(folders->getArray("folders")->size() > 5);
            CPPUNIT_ASSERT(_server->client().get(prefix + base + "/folders", ada).body.find("custom_nodes") ==
                           std::string::npos);

            auto jobs = _server->client().get(prefix + base + "/jobs", ada).json();
            CPPUNIT_ASSERT_EQUAL(std::size_t(0), jobs->getArray("jobs")->size());
            const auto stats = jobs->getObject("stats");
            for (const char* key : {"active_total", "active_civitai", "active_huggingface", "pending_total",
                                    "limit_total", "limit_civitai", "limit_huggingface"})
                CPPUNIT_ASSERT_MESSAGE(key, stats->has(key));
        }
    }

    void apiKeysAreSealedPerUserAndNeverReturned()
    {
        const auto ada = _server->login("ada");
        const auto alma = _server->login("alma");
        const std::string secret = "civitai-secret-token-0123456789";
        auto stored = put(ada, "/api-keys", R"({"source":"civitai","api_key":")" + secret + "\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stored.body, 200, stored.status);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), stored.json()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("civitai"), stored.json()->getValue<std::string>("source"));
        CPPUNIT_ASSERT(stored.body.find(secret) == std::string::npos);

        auto keys = _server->client().get(base + "/api-keys", ada);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"sources_with_keys":["civitai"]})"), keys.body);
        CPPUNIT_ASSERT(_server->client().get(base + "/sources", ada).body.find(secret) == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"sources_with_keys":[]})"),
                             _server->client().get(base + "/api-keys", alma).body);
        // Sealed at rest: the key is nowhere in the database files.
        _server->process().stop();
        for (const char* file : {"comfygate.db", "comfygate.db-wal"})
            CPPUNIT_ASSERT_MESSAGE(file, fileText(_server->process().dataDir() + "/" + file).find(secret) ==
                                             std::string::npos);
        _server->restart();

        auto cleared = put(ada, "/api-keys", R"({"source":"civitai","api_key":""})");
        CPPUNIT_ASSERT_EQUAL(200, cleared.status);
        CPPUNIT_ASSERT_EQUAL(true, cleared.json()->getValue<bool>("cleared"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"sources_with_keys":[]})"),
                             _server->client().get(base + "/api-keys", ada).body);

        CPPUNIT_ASSERT_EQUAL(400, put(ada, "/api-keys", R"({"source":"dropbox","api_key":"x"})").status);
        CPPUNIT_ASSERT_EQUAL(400, put(ada, "/api-keys", R"({"source":"civitai","api_key":42})").status);
        CPPUNIT_ASSERT_EQUAL(400, put(ada, "/api-keys", R"({"source":"civitai","api_key":"two words"})").status);
        CPPUNIT_ASSERT_EQUAL(400, put(ada, "/api-keys", "not json").status);
    }

    void badBodiesAreRefusedWithAClearMessage()
    {
        const auto ada = _server->login("ada");
        expectError(ada, 400, "unknown source 'dropbox'", R"({"source":"dropbox"})");
        expectError(ada, 400, "is not a model folder",
                    R"({"source":"huggingface","repo_id":"a/b","filename":"m","folder_type":"custom_nodes"})");
        expectError(ada, 400, "is not a model folder",
                    R"({"source":"huggingface","repo_id":"a/b","filename":"m","folder_type":"../loras"})");
        expectError(ada, 400, "\"filename\" must be a relative path",
                    R"({"source":"huggingface","repo_id":"a/b","filename":"../../etc/passwd"})");
        expectError(ada, 400, "\"subfolder\" must be a relative path",
                    R"({"source":"huggingface","repo_id":"a/b","filename":"m","subfolder":"../x"})");
        expectError(ada, 400, "\"model_version_id\" is required", R"({"source":"civitai"})");
        expectError(ada, 400, "\"repo_id\" is required", R"({"source":"huggingface","filename":"m"})");
        expectError(ada, 400, "CivitAI needs an API key", R"({"source":"civitai","model_version_id":"138296"})");
        expectError(ada, 403, "experimental.s3",
                    R"({"source":"huggingface","repo_id":"a/b","filename":"m","destination_type":"s3"})");
        auto notJson = _server->client().postJson(base + "/download", "{", ada);
        CPPUNIT_ASSERT_EQUAL(400, notJson.status);
        CPPUNIT_ASSERT(notJson.json()->has("error"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0),
                             _server->client().get(base + "/jobs", ada).json()->getArray("jobs")->size());
    }

    void everyRouteNeedsTheDownloadPermission()
    {
        const auto bob = _server->login("bob"); // role user: no can_download_models by default
        for (const auto& [method, path] :
             std::vector<std::pair<std::string, std::string>>{{"GET", "/sources"},
                                                              {"GET", "/folders"},
                                                              {"GET", "/api-keys"},
                                                              {"PUT", "/api-keys"},
                                                              {"POST", "/download"},
                                                              {"GET", "/jobs"},
                                                              {"GET", "/jobs/abc"},
                                                              {"POST", "/jobs/abc/cancel"}}) {
            auto refused = _server->client().request(method, base + path, "{}", bob);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 403, refused.status);
            CPPUNIT_ASSERT(refused.json()->getValue<std::string>("error").find("can_download_models") !=
                           std::string::npos);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 401,
                                         _server->client().request(method, "/api" + base + path, "{}").status);
        }
    }

    void jobsAreListedPolledAndCancelledByTheirOwnerOnly()
    {
        const auto ada = _server->login("ada");
        const auto alma = _server->login("alma");
        CPPUNIT_ASSERT_EQUAL(200, put(ada, "/api-keys", R"({"source":"civitai","api_key":"k-ada"})").status);
        const std::string first =
            queue(ada, R"({"source":"civitai","modelVersionId":138296,"format":"SafeTensor","fp":"fp16"})");
        const std::string second = queue(
            ada,
            R"({"source":"huggingface","repo_id":"owner/model-name","filename":"model.safetensors","folder_type":"loras"})");

        auto list = _server->client().get(base + "/jobs", ada).json();
        const auto jobs = list->getArray("jobs");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), jobs->size());
        CPPUNIT_ASSERT_EQUAL(second, jobs->getObject(0)->getValue<std::string>("job_id")); // newest first
        CPPUNIT_ASSERT_EQUAL(2, list->getObject("stats")->getValue<int>("pending_total"));

        auto polled = _server->client().get(base + "/jobs/" + first, ada);
        CPPUNIT_ASSERT_EQUAL(200, polled.status);
        const auto job = polled.json()->getObject("job");
        CPPUNIT_ASSERT_EQUAL(std::string("queued"), job->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("civitai"), job->getValue<std::string>("source"));
        CPPUNIT_ASSERT_EQUAL(std::string("138296"), job->getValue<std::string>("model_version_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints"), job->getValue<std::string>("folder_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("local"), job->getValue<std::string>("destination_type"));
        CPPUNIT_ASSERT_EQUAL(true, job->getValue<bool>("can_cancel"));
        CPPUNIT_ASSERT_EQUAL(0.0, job->getValue<double>("progress_pct"));
        for (const char* key : {"bytes_done", "total_bytes", "eta_seconds", "speed_bps", "destination", "error",
                                "created_at", "started_at", "finished_at", "elapsed"})
            CPPUNIT_ASSERT_MESSAGE(key, job->has(key));
        CPPUNIT_ASSERT(polled.json()->has("stats"));
        const auto hf = _server->client().get("/api" + base + "/jobs/" + second, ada).json()->getObject("job");
        CPPUNIT_ASSERT_EQUAL(std::string("owner/model-name"), hf->getValue<std::string>("repo_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("loras"), hf->getValue<std::string>("folder_type"));

        // Someone else's job looks like no job at all.
        auto peek = _server->client().get(base + "/jobs/" + first, alma);
        CPPUNIT_ASSERT_EQUAL(404, peek.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Job not found"), peek.json()->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(404, _server->client().postJson(base + "/jobs/" + first + "/cancel", "", alma).status);
        CPPUNIT_ASSERT_EQUAL(404, _server->client().get(base + "/jobs/no-such-job", ada).status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0),
                             _server->client().get(base + "/jobs", alma).json()->getArray("jobs")->size());

        auto cancelled = _server->client().postJson(base + "/jobs/" + first + "/cancel", "", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cancelled.body, 200, cancelled.status);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), cancelled.json()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(first, cancelled.json()->getValue<std::string>("job_id"));
        const auto after = _server->client().get(base + "/jobs/" + first, ada).json()->getObject("job");
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), after->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(false, after->getValue<bool>("can_cancel"));
        auto again = _server->client().postJson("/api" + base + "/jobs/" + first + "/cancel", "", ada);
        CPPUNIT_ASSERT_EQUAL(400, again.status);
        CPPUNIT_ASSERT_EQUAL(std::string("the job is already cancelled"), again.json()->getValue<std::string>("error"));

        // Jobs survive a restart.
        _server->restart();
        const auto survived = _server->client().get(base + "/jobs/" + second, ada).json()->getObject("job");
        CPPUNIT_ASSERT_EQUAL(std::string("queued"), survived->getValue<std::string>("status"));
    }

    void targetUsernameNeedsSharingAndUsesTheTargetsKey()
    {
        const auto ada = _server->login("ada");
        const auto boss = _server->login("boss");
        const auto alma = _server->login("alma");
        const std::string forAlma = R"({"source":"civitai","model_version_id":"5","target_username":"alma"})";
        // An admin without can_manage_model_sharing may not.
        expectError(ada, 403, "can_manage_model_sharing", forAlma);
        expectError(boss, 404, "unknown target_username 'nobody'",
                    R"({"source":"civitai","model_version_id":"5","target_username":"nobody"})");
        // The target's key counts, not the caller's.
        CPPUNIT_ASSERT_EQUAL(200, put(boss, "/api-keys", R"({"source":"civitai","api_key":"k-boss"})").status);
        expectError(boss, 400, "alma has none stored", forAlma);
        CPPUNIT_ASSERT_EQUAL(200, put(alma, "/api-keys", R"({"source":"civitai","api_key":"k-alma"})").status);
        const std::string id = queue(boss, forAlma);
        // The job is alma's: in her list, not the owner's.
        const auto job = _server->client().get(base + "/jobs/" + id, alma).json()->getObject("job");
        CPPUNIT_ASSERT_EQUAL(std::string("alma"), job->getValue<std::string>("target_username"));
        CPPUNIT_ASSERT_EQUAL(std::string("boss"), job->getValue<std::string>("requested_by"));
        CPPUNIT_ASSERT_EQUAL(404, _server->client().get(base + "/jobs/" + id, boss).status);
    }

    void perUserCapAndPolicyRefusals()
    {
        const auto ada = _server->login("ada");
        const auto alma = _server->login("alma");
        expectError(ada, 403, "org/forbidden is off limits for admin",
                    R"({"source":"huggingface","repo_id":"org/forbidden","filename":"m.safetensors"})");
        const std::string body = R"({"source":"huggingface","repo_id":"org/ok","filename":"m.safetensors"})";
        for (int i = 0; i < 3; ++i)
            queue(ada, body);
        auto refused = _server->client().postJson(base + "/download", body, ada);
        CPPUNIT_ASSERT_EQUAL(429, refused.status);
        CPPUNIT_ASSERT(refused.json()->getValue<std::string>("error").find("limit 3") != std::string::npos);
        queue(alma, body); // the cap is per user
        // A cancelled job no longer counts.
        const auto first = _server->client().get(base + "/jobs", ada).json()->getArray("jobs")->getObject(0);
        _server->client().postJson(base + "/jobs/" + first->getValue<std::string>("job_id") + "/cancel", "", ada);
        queue(ada, body);
    }

private:
    HttpResult put(const Headers& who, const std::string& path, const std::string& json)
    {
        Headers headers = who;
        headers["Content-Type"] = "application/json";
        return _server->client().request("PUT", base + path, json, headers);
    }

    std::string queue(const Headers& who, const std::string& json)
    {
        auto queued = _server->client().postJson(base + "/download", json, who);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(queued.body, 200, queued.status);
        const auto body = queued.json();
        CPPUNIT_ASSERT_EQUAL(std::string("queued"), body->getValue<std::string>("status"));
        CPPUNIT_ASSERT(body->has("stats"));
        const std::string id = body->getValue<std::string>("job_id");
        CPPUNIT_ASSERT_EQUAL(std::size_t(32), id.size());
        return id;
    }

    void expectError(const Headers& who, int status, const std::string& fragment, const std::string& json)
    {
        auto answer = _server->client().postJson(base + "/download", json, who);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(json + " -> " + answer.body, status, answer.status);
        const std::string error = answer.json()->getValue<std::string>("error");
        CPPUNIT_ASSERT_MESSAGE(json + " -> " + error, error.find(fragment) != std::string::npos);
    }

    std::unique_ptr<comfygate::test::TempDir> _policyDir;
    std::unique_ptr<DownloadServer> _server;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DownloadRoutesTest);
