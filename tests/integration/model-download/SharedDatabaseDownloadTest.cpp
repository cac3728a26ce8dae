// Downloads on two comfygate instances sharing one PostgreSQL database and one models folder
// (issue 14): the jobs of an instance killed with SIGKILL are claimed again by the other once
// their leases run out and resume from their partial files (each byte fetched once, the right
// SHA-256); a WebSocket on one instance sees the progress of a job the other runs; the
// per-user and per-source limits hold across both instances.
#include "DownloadBench.h"
#include "FakeComfyUI.h"
#include "FileDigest.h"
#include "HttpTestClient.h"
#include "SharedDatabaseGateways.h"
#include "WebSocketTestClient.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Object.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

using comfygate::fakes::ContentKind;
using comfygate::fakes::FileSpec;
using comfygate::test::DownloadBench;
using comfygate::test::HttpTestClient;
using comfygate::test::ModelSources;
using comfygate::test::SharedDatabaseGateways;
using comfygate::test::WebSocketFrame;
using comfygate::test::WebSocketTestClient;
using Headers = std::map<std::string, std::string>;
using namespace std::chrono_literals;

namespace {

const std::string password = "violet-harbor-4242";
const std::string base = "/mss-login/api/model-download";
constexpr std::uint64_t bigFile = 6 * 1024 * 1024;

} // namespace

class SharedDatabaseDownloadTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SharedDatabaseDownloadTest);
    CPPUNIT_TEST(jobsOfAKilledInstanceCompleteOnTheOther);
    CPPUNIT_TEST(limitsHoldAcrossInstances);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _sources = std::make_unique<ModelSources>();
        _comfy = std::make_unique<comfygate::fakes::FakeComfyUI>(_comfyRoot.path());
        _comfy->start();
    }

    void tearDown() override
    {
        _gateways.reset();
        _comfy.reset();
        _sources.reset();
    }

    void jobsOfAKilledInstanceCompleteOnTheOther()
    {
        _sources->civitai.addFile(FileSpec{"main", "juggernaut_v9.safetensors", bigFile, 7, ContentKind::Prng});
        _sources->civitai.addFile(FileSpec{"full", "model_full_fp32.safetensors", bigFile, 8, ContentKind::Prng});
        _sources->hf.addFile(FileSpec{"lfs", "flux_unet.safetensors", bigFile, 21, ContentKind::Prng});
        // Only the first instance runs while the jobs are claimed, so all three are its own.
        startGateways({{"downloads.lease_seconds", "3"}}, 1);
        _sources->civitai.setFault("civitai", DownloadBench::throttle(512 * 1024));
        _sources->hf.setFault("hf", DownloadBench::throttle(512 * 1024));
        HttpTestClient first(_gateways->instance(0).port());
        const Headers ada = login(first);
        storeCivitaiKey(first, ada);
        const std::string a = queue(first, ada, R"({"source":"civitai","model_version_id":"1001"})");
        const std::string b =
            queue(first, ada, R"({"source":"civitai","model_version_id":"1002","size":"full","fp":"fp32"})");
        const std::string c = queue(first, ada,
                                    R"({"source":"huggingface","repo_id":"org/flux",)"
                                    R"("filename":"unet/flux_unet.safetensors","folder_type":"unet"})");
        for (const auto& id : {a, b, c}) {
            const auto job = waitForJob(first, ada, id, [](const Poco::JSON::Object::Ptr& j) {
                return j->getValue<Poco::Int64>("bytes_done") > 1536 * 1024;
            });
            CPPUNIT_ASSERT_EQUAL(std::string("running"), job->getValue<std::string>("status"));
        }

        // The second instance: its WebSocket carries the progress the first instance publishes.
        _gateways->start(1);
        HttpTestClient second(_gateways->instance(1).port());
        const Headers adaOnSecond = login(second);
        WebSocketTestClient socket(_gateways->instance(1).port(), "/ws?clientId=tab", adaOnSecond);
        const auto frames = socket.until(
            [&](const WebSocketFrame& frame) {
                return frame.type() == "download_progress" &&
                       frame.json()->getObject("data")->getValue<std::string>("job_id") == a;
            },
            10s);
        CPPUNIT_ASSERT_EQUAL(std::string("running"),
                             frames.back().json()->getObject("data")->getValue<std::string>("status"));
        CPPUNIT_ASSERT(*_gateways->instance(1).metric("comfygate_events_cluster_received") > 0);

        _gateways->instance(0).kill9();
        const std::set<std::string> parts{"checkpoints/juggernaut_v9.safetensors.part",
                                          "checkpoints/model_full_fp32.safetensors.part",
                                          "unet/flux_unet.safetensors.part"};
        const std::string crashed = listing();
        for (const auto& part : parts)
            CPPUNIT_ASSERT_MESSAGE(crashed, crashed.find(part) != std::string::npos);
        _sources->civitai.clearFaults();
        _sources->hf.clearFaults();
        _sources->civitai.clearLog();
        _sources->hf.clearLog();

        const std::map<std::string, std::pair<std::string, std::string>> expected{
            {a, {"checkpoints/juggernaut_v9.safetensors", _sources->civitai.sha256("main")}},
            {b, {"checkpoints/model_full_fp32.safetensors", _sources->civitai.sha256("full")}},
            {c, {"unet/flux_unet.safetensors", _sources->hf.sha256("lfs")}}};
        for (const auto& [id, file] : expected) {
            const auto job = waitForJob(second, adaOnSecond, id, finished, 60s);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(job->optValue<std::string>("error", ""), std::string("completed"),
                                         job->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(file.first, job->getValue<std::string>("destination"));
            CPPUNIT_ASSERT_EQUAL(file.second, comfygate::modeldownload::FileDigest::sha256OfFile(
                                                  _gateways->modelsDir() + "/" + file.first));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors|checkpoints/model_full_fp32.safetensors|"
                                         "unet/flux_unet.safetensors"),
                             listing());
        // The second instance asked for each file from where the first one stopped, never from
        // byte 0, and fetched exactly the missing bytes once. Requests the kill cut off are
        // logged when their socket closes, before the log was cleared or with bytes of the
        // first instance: only the second instance's requests (range start > 1 MiB, after the
        // clear) count.
        checkResumedOnce(_sources->civitai.log(), "storage", 2);
        checkResumedOnce(_sources->hf.log(), "cdn", 1);
        // Each completed once: one progress event says completed for each job on the socket.
        std::map<std::string, int> completions;
        for (const auto& frame : socket.drain(1s)) {
            if (frame.type() != "download_progress")
                continue;
            const auto data = frame.json()->getObject("data");
            if (data->getValue<std::string>("status") == "completed")
                ++completions[data->getValue<std::string>("job_id")];
        }
        for (const auto& [id, file] : expected)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(id, 1, completions[id]);
    }

    void limitsHoldAcrossInstances()
    {
        _sources->civitai.addFile(FileSpec{"main", "juggernaut_v9.safetensors", 1024 * 1024, 7, ContentKind::Prng});
        _sources->civitai.addFile(FileSpec{"full", "model_full_fp32.safetensors", 1024 * 1024, 8, ContentKind::Prng});
        _sources->civitai.addFile(FileSpec{"pruned", "model_pruned_fp16.safetensors", 1024 * 1024, 9, ContentKind::Prng});
        _sources->civitai.addFile(FileSpec{"vae", "model_vae.safetensors", 1024 * 1024, 10, ContentKind::Prng});
        startGateways({{"downloads.max_active_civitai", "1"}, {"downloads.max_queued_per_user", "3"}}, 2);
        _sources->civitai.setFault("civitai", DownloadBench::throttle(1024 * 1024));
        HttpTestClient first(_gateways->instance(0).port());
        HttpTestClient second(_gateways->instance(1).port());
        const Headers ada = login(first);
        storeCivitaiKey(first, ada);

        // Four submissions at once, two through each instance: three are accepted.
        const std::vector<std::string> requests{
            R"({"source":"civitai","model_version_id":"1001"})",
            R"({"source":"civitai","model_version_id":"1002","size":"full","fp":"fp32"})",
            R"({"source":"civitai","model_version_id":"1002","size":"pruned","fp":"fp16"})",
            R"({"source":"civitai","model_version_id":"1002","type":"VAE"})"};
        std::vector<int> statuses(requests.size());
        std::vector<std::string> ids(requests.size());
        std::vector<std::thread> submitters;
        for (std::size_t i = 0; i < requests.size(); ++i) {
            submitters.emplace_back([&, i] {
                HttpTestClient client(_gateways->instance(i % 2).port());
                const auto answer = client.postJson(base + "/download", requests[i], ada);
                statuses[i] = answer.status;
                if (answer.status == 200)
                    ids[i] = answer.json()->getValue<std::string>("job_id");
            });
        }
        for (auto& submitter : submitters)
            submitter.join();
        std::vector<std::string> accepted;
        int refused = 0;
        for (std::size_t i = 0; i < requests.size(); ++i) {
            if (statuses[i] == 200)
                accepted.push_back(ids[i]);
            else if (statuses[i] == 429)
                ++refused;
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), accepted.size());
        CPPUNIT_ASSERT_EQUAL(1, refused);

        // One CivitAI download at a time over both instances, as each instance's count sees it.
        std::set<std::string> done;
        int observations = 0;
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (done.size() < accepted.size() && std::chrono::steady_clock::now() < deadline) {
            for (HttpTestClient* client : {&first, &second}) {
                const auto answer = client->get(base + "/jobs", ada);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
                const auto json = answer.json();
                CPPUNIT_ASSERT(json->getObject("stats")->getValue<int>("active_civitai") <= 1);
                int running = 0;
                const auto jobs = json->getArray("jobs");
                for (std::size_t j = 0; j < jobs->size(); ++j) {
                    const auto job = jobs->getObject(static_cast<unsigned>(j));
                    const std::string status = job->getValue<std::string>("status");
                    running += status == "running" ? 1 : 0;
                    if (finished(job))
                        done.insert(job->getValue<std::string>("job_id"));
                }
                CPPUNIT_ASSERT(running <= 1);
                ++observations;
            }
            std::this_thread::sleep_for(50ms);
        }
        CPPUNIT_ASSERT_EQUAL(accepted.size(), done.size());
        for (const auto& id : accepted) {
            const auto job = waitForJob(second, ada, id, finished, 5s);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(job->optValue<std::string>("error", ""), std::string("completed"),
                                         job->getValue<std::string>("status"));
        }
        CPPUNIT_ASSERT(observations > 0);
    }

private:
    void startGateways(std::map<std::string, std::string> settings, std::size_t started)
    {
        settings.emplace("modules.enabled", "auth,model-download,comfy-proxy");
        settings.emplace("comfy.url", _comfy->url());
        settings.emplace("downloads.civitai.base_url", _sources->civitai.apiUrl());
        settings.emplace("downloads.huggingface.base_url", _sources->hf.apiUrl());
        settings.emplace("downloads.allow_private_addresses", "true");
        settings.emplace("downloads.retry_base_ms", "50");
        settings.emplace("downloads.retry_max_ms", "200");
        settings.emplace("downloads.stall_seconds", "5");
        _gateways = std::make_unique<SharedDatabaseGateways>(2, settings, started);
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0,
                                     _gateways->instance(0).runCommand({"user", "add", "ada", "--role", "admin",
                                                                        "--password-stdin"},
                                                                       out, err, password + "\n"));
    }

    static Headers login(HttpTestClient& client)
    {
        const auto answer = client.postJson("/login", R"({"username":"ada","password":")" + password + "\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        return {{"Authorization", "Bearer " + answer.json()->getValue<std::string>("jwt_token")}};
    }

    static void storeCivitaiKey(HttpTestClient& client, Headers headers)
    {
        headers["Content-Type"] = "application/json";
        const auto answer = client.request("PUT", base + "/api-keys", R"({"source":"civitai","api_key":"tok-ok"})",
                                           headers);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
    }

    static std::string queue(HttpTestClient& client, const Headers& who, const std::string& json)
    {
        const auto answer = client.postJson(base + "/download", json, who);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        return answer.json()->getValue<std::string>("job_id");
    }

    static bool finished(const Poco::JSON::Object::Ptr& job) { return DownloadBench::finished(job); }

    static Poco::JSON::Object::Ptr waitForJob(HttpTestClient& client, const Headers& who, const std::string& id,
                                              const std::function<bool(const Poco::JSON::Object::Ptr&)>& done,
                                              std::chrono::milliseconds timeout = 20s)
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto answer = client.get(base + "/jobs/" + id, who);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
            const auto job = answer.json()->getObject("job");
            if (done(job))
                return job;
            if (std::chrono::steady_clock::now() > deadline)
                CPPUNIT_FAIL("job " + id + " stayed " + job->getValue<std::string>("status"));
            std::this_thread::sleep_for(50ms);
        }
    }

    std::string listing() const
    {
        namespace fs = std::filesystem;
        std::vector<std::string> names;
        for (const auto& entry : fs::recursive_directory_iterator(_gateways->modelsDir())) {
            if (entry.is_regular_file())
                names.push_back(entry.path().lexically_relative(_gateways->modelsDir()).generic_string());
        }
        std::sort(names.begin(), names.end());
        std::string joined;
        for (const auto& name : names)
            joined += (joined.empty() ? "" : "|") + name;
        return joined;
    }

    /// `files` files were fetched after the kill by requests that resumed (a Range from past the
    /// first MiB) and whose bytes add up to exactly what was missing: no byte twice.
    static void checkResumedOnce(const std::vector<comfygate::fakes::LogEntry>& log, const std::string& listener,
                                 std::size_t files)
    {
        std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> byPath; // first offset, bytes
        for (const auto& entry : log) {
            if (entry.listener != listener || entry.method != "GET" || entry.status == 0)
                continue;
            CPPUNIT_ASSERT_MESSAGE(entry.toJsonLine(), entry.range.rfind("bytes=", 0) == 0);
            const std::uint64_t offset = std::stoull(entry.range.substr(6));
            if (offset < 1000000)
                continue;
            auto [it, fresh] = byPath.emplace(entry.path, std::make_pair(offset, std::uint64_t(0)));
            it->second.first = std::min(it->second.first, offset);
            it->second.second += entry.bytesSent;
        }
        CPPUNIT_ASSERT_EQUAL(files, byPath.size());
        for (const auto& [path, fetched] : byPath)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, bigFile - fetched.first, fetched.second);
    }

    comfygate::test::TempDir _comfyRoot;
    std::unique_ptr<ModelSources> _sources;
    std::unique_ptr<comfygate::fakes::FakeComfyUI> _comfy;
    std::unique_ptr<SharedDatabaseGateways> _gateways;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SharedDatabaseDownloadTest);
