// destination_type "s3" through the real binary: the fake CivitAI as the source, a real
// S3-compatible server on loopback (s3rver, tests/fakes/s3) as the bucket. What lands in the
// bucket is read back over HTTP and hashed; nothing may stay in the models folder or staging.
#include "DownloadServer.h"
#include "ModelSources.h"
#include "S3Server.h"
#include "S3Uploader.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/SHA2Engine.h>

#include <filesystem>

using comfygate::test::DownloadServer;
using comfygate::test::HttpTestClient;
using comfygate::test::ModelSources;
using comfygate::test::S3Server;
using Headers = std::map<std::string, std::string>;
namespace fs = std::filesystem;

namespace {

const std::string base = "/mss-login/api/model-download";
const std::string civitaiToS3 = R"({"source":"civitai","model_version_id":"1001","destination_type":"s3"})";
const std::string objectKey = "comfyui/checkpoints/juggernaut_v9.safetensors";

bool finished(const Poco::JSON::Object::Ptr& job)
{
    const std::string status = job->getValue<std::string>("status");
    return status == "completed" || status == "failed" || status == "cancelled";
}

std::string filesBelow(const std::string& directory)
{
    std::string joined;
    if (!fs::exists(directory))
        return joined;
    for (const auto& entry : fs::recursive_directory_iterator(directory)) {
        if (entry.is_regular_file())
            joined += (joined.empty() ? "" : "|") + entry.path().lexically_relative(directory).generic_string();
    }
    return joined;
}

std::string sha256(const std::string& data)
{
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(data);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

} // namespace

class S3DownloadTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(S3DownloadTest);
    CPPUNIT_TEST(civitaiDownloadEndsInTheBucketVerified);
    CPPUNIT_TEST(sameContentInTheBucketCompletesWithoutTransfer);
    CPPUNIT_TEST(twoJobsForOneKeyShareOneFetchAndUpload);
    CPPUNIT_TEST(isolationPutsTheObjectUnderTheOwnersId);
    CPPUNIT_TEST(uploadPhaseShowsInTheJob);
    CPPUNIT_TEST(wrongSecretFailsTheJobWithS3sReason);
    CPPUNIT_TEST(refusedUploadFailsTheJobWithS3sReason);
    CPPUNIT_TEST(cancelDuringTheUploadAbortsTheMultipartUpload);
    CPPUNIT_TEST(disabledS3IsRefusedWith403);
    CPPUNIT_TEST(incompleteS3SettingsStopTheStart);
    CPPUNIT_TEST_SUITE_END();

public:
    // One S3 server for the suite (Node.js takes about a second to start), emptied per test.
    void setUp() override
    {
        static S3Server server;
        _s3 = &server;
        _s3->reset();
        _sources = std::make_unique<ModelSources>();
    }

    void tearDown() override
    {
        _server.reset();
        _sources.reset();
    }

    void civitaiDownloadEndsInTheBucketVerified()
    {
        start();
        const auto job = waitFinished(queue(civitaiToS3));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(job->getValue<std::string>("error"), std::string("completed"),
                                     job->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("s3"), job->getValue<std::string>("destination_type"));
        CPPUNIT_ASSERT_EQUAL("s3://" + _s3->bucket() + "/" + objectKey, job->getValue<std::string>("destination"));
        const std::string expected = _sources->civitai.sha256("main");
        CPPUNIT_ASSERT_EQUAL(expected, job->getValue<std::string>("sha256"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), job->getValue<std::string>("phase"));

        // The object itself, read back from the bucket.
        const auto object = HttpTestClient(_s3->port()).get("/" + _s3->bucket() + "/" + objectKey);
        CPPUNIT_ASSERT_EQUAL(200, object.status);
        CPPUNIT_ASSERT_EQUAL(expected, sha256(object.body));
        CPPUNIT_ASSERT_EQUAL(std::size_t(comfygate::test::ModelSourceIds::fileSize), object.body.size());
        // Nothing in the models folder, nothing left in staging.
        CPPUNIT_ASSERT_EQUAL(std::string(""), filesBelow(_server->modelsDir()));
        CPPUNIT_ASSERT_EQUAL(std::string(""), filesBelow(stagingDir()));
        CPPUNIT_ASSERT(fs::exists(stagingDir())); // it was used
    }

    void sameContentInTheBucketCompletesWithoutTransfer()
    {
        start();
        const auto first = waitFinished(queue(civitaiToS3));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first->getValue<std::string>("error"), std::string("completed"),
                                     first->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), storageGets());
        _sources->clearLogs();
        const int putsBefore = requestCount("PUT");

        const auto second = waitFinished(queue(civitaiToS3));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(second->getValue<std::string>("error"), std::string("completed"),
                                     second->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(first->getValue<std::string>("destination"), second->getValue<std::string>("destination"));
        CPPUNIT_ASSERT_EQUAL(first->getValue<std::string>("sha256"), second->getValue<std::string>("sha256"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), storageGets());   // no byte fetched from the source
        CPPUNIT_ASSERT_EQUAL(putsBefore, requestCount("PUT")); // nor sent to the bucket

        // An object under that key with other content is never overwritten.
        _s3->reset();
        HttpTestClient s3(_s3->port());
        putForeignObject("not the model");
        const auto third = waitFinished(queue(civitaiToS3));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), third->getValue<std::string>("status"));
        CPPUNIT_ASSERT_MESSAGE(third->getValue<std::string>("error"),
                               third->getValue<std::string>("error").find("a different object") == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("not the model"), s3.get("/" + _s3->bucket() + "/" + objectKey).body);
    }

    void twoJobsForOneKeyShareOneFetchAndUpload()
    {
        start();
        comfygate::fakes::Fault slow;
        slow.throttleBps = 512 * 1024; // about half a second for the file
        _sources->civitai.setFault("main", slow);
        const std::string first = queue(civitaiToS3);
        const std::string second = queue(civitaiToS3);
        for (const auto& id : {first, second}) {
            const auto job = waitFinished(id);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(job->getValue<std::string>("error"), std::string("completed"),
                                         job->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL("s3://" + _s3->bucket() + "/" + objectKey, job->getValue<std::string>("destination"));
            CPPUNIT_ASSERT_EQUAL(_sources->civitai.sha256("main"), job->getValue<std::string>("sha256"));
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), storageGets());
        CPPUNIT_ASSERT_EQUAL(1, requestCount("PUT"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), filesBelow(stagingDir()));
    }

    void isolationPutsTheObjectUnderTheOwnersId()
    {
        start({{"experimental.model_isolation", "true"}});
        const std::string adaId =
            _server->client().get("/mss-login/api/me", _ada).json()->getValue<std::string>("user_id");
        const auto job = waitFinished(queue(civitaiToS3));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(job->getValue<std::string>("error"), std::string("completed"),
                                     job->getValue<std::string>("status"));
        const std::string key = "comfyui/checkpoints/" + adaId + "/juggernaut_v9.safetensors";
        CPPUNIT_ASSERT_EQUAL("s3://" + _s3->bucket() + "/" + key, job->getValue<std::string>("destination"));
        CPPUNIT_ASSERT_EQUAL(200, HttpTestClient(_s3->port()).get("/" + _s3->bucket() + "/" + key).status);
        CPPUNIT_ASSERT_EQUAL(404, HttpTestClient(_s3->port()).get("/" + _s3->bucket() + "/" + objectKey).status);
    }

    void uploadPhaseShowsInTheJob()
    {
        start();
        // Two refusals of the PUT: the upload retries (0.5 s, then 1 s) and stays visible.
        injectFault("PUT", "", 503, 2);
        const std::string id = queue(civitaiToS3);
        const auto uploading = _server->waitForJob(_ada, id, [](const Poco::JSON::Object::Ptr& job) {
            return finished(job) || job->getValue<std::string>("phase") == "uploading";
        });
        CPPUNIT_ASSERT_EQUAL(std::string("running"), uploading->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("uploading"), uploading->getValue<std::string>("phase"));
        const auto job = waitFinished(id);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(job->getValue<std::string>("error"), std::string("completed"),
                                     job->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(0, HttpTestClient(_s3->port()).get("/__faults").json()->getValue<int>("remaining"));
        CPPUNIT_ASSERT_EQUAL(3, requestCount("PUT"));
    }

    void wrongSecretFailsTheJobWithS3sReason()
    {
        start({}, "not-the-secret");
        const auto job = waitFinished(queue(civitaiToS3));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), job->getValue<std::string>("status"));
        const std::string error = job->getValue<std::string>("error");
        CPPUNIT_ASSERT_MESSAGE(error, error.find("HTTP 403") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(error, error.find(objectKey) != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(error, error.find("S3_SECRET_ACCESS_KEY") != std::string::npos);
        CPPUNIT_ASSERT(error.find("not-the-secret") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string(""), job->getValue<std::string>("destination"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), filesBelow(_server->modelsDir()));
        CPPUNIT_ASSERT_EQUAL(std::string(""), filesBelow(stagingDir()));
        CPPUNIT_ASSERT(_server->process().stderrText().find("not-the-secret") == std::string::npos);
        CPPUNIT_ASSERT(_server->process().stdoutText().find("not-the-secret") == std::string::npos);
    }

    void refusedUploadFailsTheJobWithS3sReason()
    {
        start();
        injectFault("PUT", "", 403, 1); // not retried: S3's answer is final
        const auto job = waitFinished(queue(civitaiToS3));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), job->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("S3 upload of " + objectKey + " failed: HTTP 403 InternalError: Injected by the test."),
            job->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), filesBelow(stagingDir()));
        CPPUNIT_ASSERT_EQUAL(404, HttpTestClient(_s3->port()).get("/" + _s3->bucket() + "/" + objectKey).status);
    }

    void cancelDuringTheUploadAbortsTheMultipartUpload()
    {
        // 11 MiB in 5 MiB parts; part 2 keeps failing, so the upload sits in its retries.
        _sources->civitai.addFile(comfygate::fakes::FileSpec{"main", "juggernaut_v9.safetensors", 11 * 1024 * 1024, 7,
                                                             comfygate::fakes::ContentKind::Prng});
        start({{"s3.part_size_mb", "5"}});
        injectFault("PUT", "partNumber=2", 503, -1);
        const std::string id = queue(civitaiToS3);
        const auto uploading = _server->waitForJob(_ada, id, [&](const Poco::JSON::Object::Ptr& job) {
            return finished(job) || requestCount("PUT partNumber") >= 2;
        });
        CPPUNIT_ASSERT_EQUAL(std::string("uploading"), uploading->getValue<std::string>("phase"));
        auto cancel = _server->client().postJson(base + "/jobs/" + id + "/cancel", "", _ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cancel.body, 200, cancel.status);
        const auto job = waitFinished(id);
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), job->getValue<std::string>("status"));

        CPPUNIT_ASSERT_EQUAL(1, requestCount("DELETE uploadId")); // AbortMultipartUpload
        CPPUNIT_ASSERT_EQUAL(0, requestCount("POST uploadId"));   // never completed
        CPPUNIT_ASSERT_EQUAL(0, _s3->pendingMultipartUploads());
        CPPUNIT_ASSERT_EQUAL(404, HttpTestClient(_s3->port()).get("/" + _s3->bucket() + "/" + objectKey).status);
        CPPUNIT_ASSERT_EQUAL(std::string(""), filesBelow(stagingDir()));
        CPPUNIT_ASSERT_EQUAL(std::string(""), filesBelow(_server->modelsDir()));
    }

    void disabledS3IsRefusedWith403()
    {
        start({{"experimental.s3", "false"}});
        const auto refused = _server->client().postJson(base + "/download", civitaiToS3, _ada);
        CPPUNIT_ASSERT_EQUAL(403, refused.status);
        CPPUNIT_ASSERT_MESSAGE(refused.body, refused.json()->getValue<std::string>("error").find("experimental.s3") !=
                                                 std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0),
                             _server->client().get(base + "/jobs", _ada).json()->getArray("jobs")->size());
    }

    void incompleteS3SettingsStopTheStart()
    {
        for (const auto& [missing, named] : std::vector<std::pair<std::string, std::string>>{
                 {"s3.bucket", "s3.bucket"}, {"s3.endpoint", "s3.endpoint"}}) {
            auto settings = serverSettings();
            settings[missing] = "";
            DownloadServer server(settings, credentials(_s3->secretAccessKey()));
            try {
                server.start();
                CPPUNIT_FAIL("started without " + missing);
            } catch (const std::runtime_error& error) {
                CPPUNIT_ASSERT_MESSAGE(error.what(), std::string(error.what()).find(named) != std::string::npos);
            }
        }
        DownloadServer noCredentials(serverSettings());
        try {
            noCredentials.start();
            CPPUNIT_FAIL("started without S3 credentials");
        } catch (const std::runtime_error& error) {
            CPPUNIT_ASSERT_MESSAGE(error.what(),
                                   std::string(error.what()).find("S3_SECRET_ACCESS_KEY") != std::string::npos);
        }
    }

private:
    std::map<std::string, std::string> serverSettings() const
    {
        return {{"downloads.civitai.base_url", _sources->civitai.apiUrl()},
                {"downloads.huggingface.base_url", _sources->hf.apiUrl()},
                {"downloads.stall_seconds", "5"},
                {"experimental.s3", "true"},
                {"s3.endpoint", _s3->endpoint()},
                {"s3.bucket", _s3->bucket()},
                {"s3.prefix", "comfyui"}};
    }

    std::map<std::string, std::string> credentials(const std::string& secret) const
    {
        return {{"S3_ACCESS_KEY_ID", _s3->accessKeyId()}, {"S3_SECRET_ACCESS_KEY", secret}};
    }

    void start(std::map<std::string, std::string> extra = {}, const std::string& secret = {})
    {
        auto settings = serverSettings();
        for (auto& [key, value] : extra)
            settings[key] = value;
        _server =
            std::make_unique<DownloadServer>(settings, credentials(secret.empty() ? _s3->secretAccessKey() : secret));
        _server->addUser("ada", "admin");
        _server->start();
        _ada = _server->login("ada");
        Headers headers = _ada;
        headers["Content-Type"] = "application/json";
        CPPUNIT_ASSERT_EQUAL(
            200, _server->client()
                     .request("PUT", base + "/api-keys", R"({"source":"civitai","api_key":"tok-ok"})", headers)
                     .status);
    }

    std::string queue(const std::string& json)
    {
        auto queued = _server->client().postJson(base + "/download", json, _ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(queued.body, 200, queued.status);
        return queued.json()->getValue<std::string>("job_id");
    }

    Poco::JSON::Object::Ptr waitFinished(const std::string& id)
    {
        return _server->waitForJob(_ada, id, finished, std::chrono::seconds(30));
    }

    std::string stagingDir() const { return _server->process().dataDir() + "/download-staging"; }

    std::size_t storageGets() const
    {
        std::size_t gets = 0;
        for (const auto& entry : _sources->civitaiLog("storage"))
            gets += entry.method == "GET";
        return gets;
    }

    /// Requests the S3 server saw for one operation ("PUT", "PUT partNumber", "DELETE uploadId").
    int requestCount(const std::string& operation) const
    {
        return HttpTestClient(_s3->port()).get("/__requests").json()->optValue(operation, 0);
    }

    void injectFault(const std::string& method, const std::string& query, int status, int count) const
    {
        const auto result = HttpTestClient(_s3->port())
                                .request("POST", "/__faults?method=" + method + "&query=" + query + "&status=" +
                                                     std::to_string(status) + "&count=" + std::to_string(count));
        CPPUNIT_ASSERT_EQUAL(200, result.status);
    }

    /// Another tool's object under the job's key: no sha256 metadata, other content.
    void putForeignObject(const std::string& body) const
    {
        comfygate::modeldownload::S3Uploader::Settings settings;
        settings.endpoint = _s3->endpoint();
        settings.bucket = _s3->bucket();
        settings.prefix = "comfyui";
        settings.accessKeyId = _s3->accessKeyId();
        settings.secretAccessKey = _s3->secretAccessKey();
        comfygate::test::TempDir dir;
        comfygate::modeldownload::S3Uploader(settings).upload(dir.write("foreign.bin", body),
                                                              "checkpoints/juggernaut_v9.safetensors");
    }

    S3Server* _s3 = nullptr;
    std::unique_ptr<ModelSources> _sources;
    std::unique_ptr<DownloadServer> _server;
    Headers _ada;
};

CPPUNIT_TEST_SUITE_REGISTRATION(S3DownloadTest);
