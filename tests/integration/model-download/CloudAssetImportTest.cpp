// Comfy Cloud's asset import in the real binary against the fake CivitAI and Hugging Face:
// a URL becomes a task (a download job) that is polled to completion, the same file asked
// again is answered at once with its asset and no transfer, refusals come as
// {"code","message"}, tasks are private to their owner, X-API-Key works, and the owner
// receives asset_download events (through the fixture_events module, standing in for the
// WebSocket endpoint that is not merged yet).
#include "DownloadServer.h"
#include "TestPaths.h"
#include "FileDigest.h"
#include "ModelSources.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>

#include <sstream>

using comfygate::test::DownloadServer;
using comfygate::test::ModelSourceIds;
using comfygate::test::ModelSources;
using Headers = std::map<std::string, std::string>;

namespace {

const std::string civitaiPage = "https://civitai.com/models/100/juggernaut?modelVersionId=1001";

bool finished(const Poco::JSON::Object::Ptr& task)
{
    const std::string status = task->getValue<std::string>("status");
    return status == "completed" || status == "failed" || status == "cancelled";
}

std::string body(const std::string& sourceUrl, const std::string& extra = "")
{
    return R"({"source_url":")" + sourceUrl + "\"" + extra + "}";
}

} // namespace

class CloudAssetImportTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(CloudAssetImportTest);
    CPPUNIT_TEST(civitaiUrlBecomesATaskThenTheSameUrlAnswersTheAsset);
    CPPUNIT_TEST(huggingFaceUrlsResolveAndBlobNamesTheSameFile);
    CPPUNIT_TEST(refusalsComeInCloudsErrorShape);
    CPPUNIT_TEST(tasksArePrivateAndApiKeysWork);
    CPPUNIT_TEST(ownerReceivesAssetDownloadEvents);
    CPPUNIT_TEST(deleteCancelsARunningTask);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _sources = std::make_unique<ModelSources>();
        _server = std::make_unique<DownloadServer>(
            std::map<std::string, std::string>{{"modules.dir", COMFYGATE_MODULE_DIR "," COMFYGATE_TEST_MODULE_DIR},
                                               {"modules.enabled", "auth,model-download,fixture_events"},
                                               {"downloads.civitai.base_url", _sources->civitai.apiUrl()},
                                               {"downloads.huggingface.base_url", _sources->hf.apiUrl()},
                                               {"downloads.stall_seconds", "5"}});
        _server->addUser("ada", "admin");
        _server->addUser("bob", "admin");
        _server->start();
        _ada = _server->login("ada");
        _bob = _server->login("bob");
        storeCivitaiKey(_ada);
    }

    void tearDown() override
    {
        _server.reset();
        _sources.reset();
    }

    void civitaiUrlBecomesATaskThenTheSameUrlAnswersTheAsset()
    {
        auto accepted =
            import(body(civitaiPage, R"(,"tags":["models","loras"],"user_metadata":{"note":"for the lake scene"})"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(accepted.body, 202, accepted.status);
        const auto answer = accepted.json();
        const std::string taskId = answer->getValue<std::string>("task_id");
        CPPUNIT_ASSERT_EQUAL(std::string("created"), answer->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("Download task created. Use task_id to track progress."),
                             answer->getValue<std::string>("message"));

        const auto task = waitForTask(taskId, _ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stringify(task), std::string("completed"), task->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(taskId, task->getValue<std::string>("id"));
        CPPUNIT_ASSERT_EQUAL(std::string("task:download_file"), task->getValue<std::string>("task_name"));
        CPPUNIT_ASSERT_EQUAL(civitaiPage, task->getObject("payload")->getValue<std::string>("source_url"));
        CPPUNIT_ASSERT(task->has("create_time") && task->has("update_time") && task->has("completed_at"));
        const auto result = task->getObject("result");
        const std::string sha256 = _sources->civitai.sha256("main");
        CPPUNIT_ASSERT_EQUAL(true, result->getValue<bool>("success"));
        CPPUNIT_ASSERT_EQUAL("sha256:" + sha256, result->getValue<std::string>("hash"));
        CPPUNIT_ASSERT_EQUAL(std::string("loras/juggernaut_v9.safetensors"),
                             result->getValue<std::string>("file_path"));
        CPPUNIT_ASSERT_EQUAL(std::string("juggernaut_v9.safetensors"), result->getValue<std::string>("filename"));
        const std::string assetId = result->getValue<std::string>("asset_id");
        CPPUNIT_ASSERT_EQUAL(std::size_t(36), assetId.size());
        const std::string file = _server->modelsDir() + "/loras/juggernaut_v9.safetensors";
        CPPUNIT_ASSERT_EQUAL(sha256, comfygate::modeldownload::FileDigest::sha256OfFile(file));

        // The same file again, by its page URL and by its download URL: the asset, no transfer.
        const std::size_t transfers = _sources->civitaiStorageGets();
        CPPUNIT_ASSERT(transfers >= 1);
        for (const std::string& url : {civitaiPage, std::string("https://civitai.com/api/download/models/1001")}) {
            auto again = import(body(url, R"(,"tags":["loras"])"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(again.body, 200, again.status);
            const auto asset = again.json();
            CPPUNIT_ASSERT_EQUAL(assetId, asset->getValue<std::string>("id"));
            CPPUNIT_ASSERT_EQUAL(false, asset->getValue<bool>("created_new"));
            CPPUNIT_ASSERT_EQUAL(std::string("juggernaut_v9.safetensors"), asset->getValue<std::string>("name"));
            CPPUNIT_ASSERT_EQUAL("sha256:" + sha256, asset->getValue<std::string>("asset_hash"));
            CPPUNIT_ASSERT_EQUAL(Poco::Int64(ModelSourceIds::fileSize), asset->getValue<Poco::Int64>("size"));
            CPPUNIT_ASSERT_EQUAL(std::string("for the lake scene"),
                                 asset->getObject("user_metadata")->getValue<std::string>("note"));
            CPPUNIT_ASSERT_EQUAL(std::string("loras"), asset->getArray("tags")->getElement<std::string>(1));
        }
        CPPUNIT_ASSERT_EQUAL(transfers, _sources->civitaiStorageGets());

        // Another user asking for the same shared file gets an asset of their own at once
        // (they need their own key: the file is still resolved at CivitAI with it).
        expectError(import(body(civitaiPage), _bob), 400, "missing_api_key", "api-keys");
        storeCivitaiKey(_bob);
        auto bobs = import(body(civitaiPage, R"(,"tags":["loras"])"), _bob);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(bobs.body, 200, bobs.status);
        CPPUNIT_ASSERT_EQUAL(true, bobs.json()->getValue<bool>("created_new"));
        CPPUNIT_ASSERT(bobs.json()->getValue<std::string>("id") != assetId);
        CPPUNIT_ASSERT_EQUAL(transfers, _sources->civitaiStorageGets());
    }

    void huggingFaceUrlsResolveAndBlobNamesTheSameFile()
    {
        const std::string resolve = "https://huggingface.co/org/flux/resolve/main/unet/flux_unet.safetensors";
        auto accepted = import(body(resolve, R"(,"tags":["models","unet"])"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(accepted.body, 202, accepted.status);
        const auto task = waitForTask(accepted.json()->getValue<std::string>("task_id"), _ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stringify(task), std::string("completed"), task->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("unet/flux_unet.safetensors"),
                             task->getObject("result")->getValue<std::string>("file_path"));
        CPPUNIT_ASSERT_EQUAL("sha256:" + _sources->hf.sha256("lfs"),
                             task->getObject("result")->getValue<std::string>("hash"));

        auto blob = import(
            body("https://hf.co/org/flux/blob/main/unet/flux_unet.safetensors?download=true", R"(,"tags":["unet"])"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(blob.body, 200, blob.status);
        CPPUNIT_ASSERT_EQUAL(task->getObject("result")->getValue<std::string>("asset_id"),
                             blob.json()->getValue<std::string>("id"));
    }

    void refusalsComeInCloudsErrorShape()
    {
        expectError(import(body("https://evil.example/models/100?modelVersionId=1001")), 400, "invalid_source_url",
                    "civitai.com");
        expectError(import(body("https://civitai.com.evil.example/api/download/models/1001")), 400,
                    "invalid_source_url", "not from 'civitai.com.evil.example'");
        expectError(import(body("ftp://civitai.com/api/download/models/1001")), 400, "invalid_source_url", "https");
        expectError(import(body("https://civitai.com/models/100")), 400, "invalid_source_url", "modelVersionId");
        expectError(import(body("https://civitai.com/api/download/models/abc")), 400, "invalid_request",
                    "model_version_id");
        expectError(import(body("https://huggingface.co/org/flux/resolve/main/../../etc/passwd")), 400,
                    "invalid_request", "filename");
        expectError(import(body("https://huggingface.co/org/flux")), 400, "invalid_source_url", "resolve");
        expectError(import(R"({"tags":["loras"]})"), 400, "invalid_source_url", "source_url");
        expectError(import(body(civitaiPage, R"(,"tags":"loras")")), 422, "validation_error", "tags");
        expectError(import(body(civitaiPage, R"(,"user_metadata":[1])")), 422, "validation_error", "user_metadata");
        expectError(import(body(civitaiPage, R"(,"preview_id":"not-a-uuid")")), 422, "validation_error", "UUID");
        expectError(import("not json"), 400, "", "");
        // The source's own refusal, known before anything is queued.
        expectError(import(body("https://civitai.com/models/100?modelVersionId=1003")), 422, "download_refused",
                    "generation-only");
        // Without a credential: 401, still {"code","message"}.
        auto anonymous = _server->client().postJson("/api/assets/download", body(civitaiPage));
        CPPUNIT_ASSERT_EQUAL(401, anonymous.status);
        CPPUNIT_ASSERT(anonymous.json()->has("message") && anonymous.json()->has("code"));
        // Nothing was queued by any of them.
        auto jobs = _server->client().get("/mss-login/api/model-download/jobs", _ada).json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), jobs->getArray("jobs")->size());
    }

    void tasksArePrivateAndApiKeysWork()
    {
        std::string out, err;
        // `token create` needs no running server; it shares the data directory.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, _server->process().runCommand({"token", "create", "ada"}, out, err));
        const std::string token = out.substr(0, out.find('\n')); // printed once, alone on its line
        CPPUNIT_ASSERT_MESSAGE(out, token.size() > 20);
        const Headers apiKey{{"X-API-Key", token}};

        auto accepted =
            import(body("https://huggingface.co/org/flux/resolve/main/config.json", R"(,"tags":["vae"])"), apiKey);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(accepted.body, 202, accepted.status);
        const std::string taskId = accepted.json()->getValue<std::string>("task_id");
        const auto task = waitForTask(taskId, apiKey);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stringify(task), std::string("completed"), task->getValue<std::string>("status"));

        expectError(_server->client().get("/api/tasks/" + taskId, _bob), 404, "not_found", "Task not found");
        expectError(_server->client().request("DELETE", "/api/tasks/" + taskId, "", _bob), 404, "not_found", "");
        expectError(_server->client().get("/api/tasks/00000000000000000000000000000000", _ada), 404, "not_found", "");
        auto wrongKey = _server->client().get("/api/tasks/" + taskId, {{"X-API-Key", "cg_not-a-token"}});
        CPPUNIT_ASSERT_EQUAL(401, wrongKey.status);
    }

    void ownerReceivesAssetDownloadEvents()
    {
        auto accepted = import(body(civitaiPage, R"(,"tags":["checkpoints"])"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(accepted.body, 202, accepted.status);
        const std::string taskId = accepted.json()->getValue<std::string>("task_id");
        const auto task = waitForTask(taskId, _ada);
        const std::string assetId = task->getObject("result")->getValue<std::string>("asset_id");

        auto events = _server->client().get("/fixture/events?type=asset_download", _ada).json()->getArray("events");
        CPPUNIT_ASSERT(events->size() >= 2); // created ... completed
        const auto first = events->getObject(0)->getObject("data");
        CPPUNIT_ASSERT_EQUAL(taskId, first->getValue<std::string>("task_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("created"), first->getValue<std::string>("status"));
        const auto last = events->getObject(events->size() - 1)->getObject("data");
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), last->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(assetId, last->getValue<std::string>("asset_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("juggernaut_v9.safetensors"), last->getValue<std::string>("asset_name"));
        CPPUNIT_ASSERT_EQUAL(100.0, last->getValue<double>("progress"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(ModelSourceIds::fileSize), last->getValue<Poco::Int64>("bytes_total"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(ModelSourceIds::fileSize), last->getValue<Poco::Int64>("bytes_downloaded"));
        // Only the owner's sockets get them; the MSS-Login progress events still flow too.
        CPPUNIT_ASSERT_EQUAL(
            std::size_t(0),
            _server->client().get("/fixture/events?type=asset_download", _bob).json()->getArray("events")->size());
        CPPUNIT_ASSERT(
            _server->client().get("/fixture/events?type=download_progress", _ada).json()->getArray("events")->size() >=
            2);
    }

    void deleteCancelsARunningTask()
    {
        comfygate::fakes::Fault slow;
        slow.throttleBps = 16 * 1024; // 16 s for the file
        _sources->civitai.setFault("civitai", slow);
        // A token pasted along with the URL is neither needed nor kept.
        auto accepted = import(body(civitaiPage + "&token=hunter2"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(accepted.body, 202, accepted.status);
        const std::string taskId = accepted.json()->getValue<std::string>("task_id");
        const auto stored = _server->client().get("/api/tasks/" + taskId, _ada);
        CPPUNIT_ASSERT_MESSAGE(stored.body, stored.body.find("hunter2") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(civitaiPage, stored.json()->getObject("payload")->getValue<std::string>("source_url"));
        waitForTask(taskId, _ada, [](const Poco::JSON::Object::Ptr& task) {
            return task->getObject("progress")->getValue<Poco::Int64>("bytes_downloaded") > 0;
        });
        auto cancelled = _server->client().request("DELETE", "/api/tasks/" + taskId, "", _ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cancelled.body, 200, cancelled.status);
        const auto task = waitForTask(taskId, _ada);
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), task->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(false, task->getObject("result")->getValue<bool>("success"));
        expectError(_server->client().request("DELETE", "/api/tasks/" + taskId, "", _ada), 409, "not_cancellable",
                    "cancelled");
    }

private:
    void storeCivitaiKey(const Headers& who)
    {
        Headers json = who;
        json["Content-Type"] = "application/json";
        CPPUNIT_ASSERT_EQUAL(200, _server->client()
                                      .request("PUT", "/mss-login/api/model-download/api-keys",
                                               R"({"source":"civitai","api_key":"tok-ok"})", json)
                                      .status);
    }

    comfygate::test::HttpResult import(const std::string& json, const Headers& who)
    {
        return _server->client().postJson("/api/assets/download", json, who);
    }
    comfygate::test::HttpResult import(const std::string& json) { return import(json, _ada); }

    Poco::JSON::Object::Ptr waitForTask(const std::string& taskId, const Headers& who,
                                        const std::function<bool(const Poco::JSON::Object::Ptr&)>& done = finished)
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (true) {
            auto answer = _server->client().get("/api/tasks/" + taskId, who);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
            const auto task = answer.json();
            if (done(task) || std::chrono::steady_clock::now() > deadline)
                return task;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    static void expectError(const comfygate::test::HttpResult& answer, int status, const std::string& code,
                            const std::string& inMessage)
    {
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, status, answer.status);
        const auto error = answer.json();
        CPPUNIT_ASSERT_MESSAGE(answer.body, error->has("code") && error->has("message") && !error->has("error"));
        if (!code.empty())
            CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, code, error->getValue<std::string>("code"));
        CPPUNIT_ASSERT_MESSAGE(answer.body,
                               error->getValue<std::string>("message").find(inMessage) != std::string::npos);
    }

    static std::string stringify(const Poco::JSON::Object::Ptr& object)
    {
        std::ostringstream out;
        object->stringify(out);
        return out.str();
    }

    std::unique_ptr<ModelSources> _sources;
    std::unique_ptr<DownloadServer> _server;
    Headers _ada;
    Headers _bob;
};

CPPUNIT_TEST_SUITE_REGISTRATION(CloudAssetImportTest);
