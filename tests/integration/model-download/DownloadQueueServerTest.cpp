// The download queue in the real binary against the fake CivitAI and Hugging Face: verified
// downloads, the sources' refusals as job errors, limits with a slow source, cancel of a
// running transfer, dedupe, one transfer for two jobs, model isolation, and kill -9 during
// three concurrent downloads followed by a restart that resumes all three.
#include "DownloadServer.h"
#include "FileDigest.h"
#include "ModelSources.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>

#include <filesystem>
#include <set>

using comfygate::test::DownloadServer;
using comfygate::test::ModelSourceIds;
using comfygate::test::ModelSources;
using Headers = std::map<std::string, std::string>;
namespace fs = std::filesystem;

namespace {

const std::string base = "/mss-login/api/model-download";

bool finished(const Poco::JSON::Object::Ptr& job)
{
    const std::string status = job->getValue<std::string>("status");
    return status == "completed" || status == "failed" || status == "cancelled";
}

std::vector<std::string> filesBelow(const std::string& directory)
{
    std::vector<std::string> names;
    if (!fs::exists(directory))
        return names;
    for (const auto& entry : fs::recursive_directory_iterator(directory)) {
        if (entry.is_regular_file())
            names.push_back(entry.path().lexically_relative(directory).generic_string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

comfygate::fakes::Fault throttle(std::uint64_t bytesPerSecond)
{
    comfygate::fakes::Fault fault;
    fault.throttleBps = bytesPerSecond;
    return fault;
}

} // namespace

class DownloadQueueServerTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(DownloadQueueServerTest);
    CPPUNIT_TEST(civitaiAndHuggingFaceDownloadsArriveVerified);
    CPPUNIT_TEST(refusalsOfTheSourceBecomeTheJobsError);
    CPPUNIT_TEST(perSourceLimitHoldsWithASlowSource);
    CPPUNIT_TEST(cancellingARunningJobStopsItsTransfer);
    CPPUNIT_TEST(presentFileAndSameTargetCostOneTransfer);
    CPPUNIT_TEST(isolationPutsTheFileInTheOwnersTree);
    CPPUNIT_TEST(policyIsAskedAgainWithTheResolvedSize);
    CPPUNIT_TEST(killDuringThreeDownloadsThenRestartCompletesAll);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { _sources = std::make_unique<ModelSources>(); }

    void tearDown() override
    {
        _server.reset();
        _sources.reset();
    }

    void civitaiAndHuggingFaceDownloadsArriveVerified()
    {
        start();
        const std::string civitai = queue(R"({"source":"civitai","model_version_id":"1001"})");
        const std::string hf = queue(
            R"({"source":"huggingface","repo_id":"org/flux","filename":"unet/flux_unet.safetensors","folder_type":"unet"})");

        const auto c = waitFinished(civitai);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(c->getValue<std::string>("error"), std::string("completed"),
                                     c->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"),
                             c->getValue<std::string>("destination"));
        CPPUNIT_ASSERT_EQUAL(_sources->civitai.sha256("main"), c->getValue<std::string>("sha256"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(ModelSourceIds::fileSize), c->getValue<Poco::Int64>("bytes_done"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(ModelSourceIds::fileSize), c->getValue<Poco::Int64>("total_bytes"));
        CPPUNIT_ASSERT_EQUAL(100.0, c->getValue<double>("progress_pct"));
        CPPUNIT_ASSERT_EQUAL(false, c->getValue<bool>("can_cancel"));
        CPPUNIT_ASSERT_EQUAL(_sources->civitai.content("main"),
                             ModelSources::read(_server->modelsDir() + "/checkpoints/juggernaut_v9.safetensors"));

        const auto h = waitFinished(hf);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(h->getValue<std::string>("error"), std::string("completed"),
                                     h->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("unet/flux_unet.safetensors"), h->getValue<std::string>("destination"));
        CPPUNIT_ASSERT_EQUAL(_sources->hf.sha256("lfs"), h->getValue<std::string>("sha256"));

        // Only final names on disk; the key never reached a storage host.
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors|unet/flux_unet.safetensors"),
                             listing());
        for (const auto& entry : _sources->civitaiLog("storage"))
            CPPUNIT_ASSERT(!entry.authorization && !entry.tokenInQuery);
        CPPUNIT_ASSERT(!_sources->civitaiLog("storage").empty());
    }

    void refusalsOfTheSourceBecomeTheJobsError()
    {
        start();
        const auto generationOnly = waitFinished(queue(R"({"source":"civitai","model_version_id":"1003"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), generationOnly->getValue<std::string>("status"));
        CPPUNIT_ASSERT(generationOnly->getValue<std::string>("error").find("generation-only model") == 0);
        const auto early = waitFinished(queue(R"({"source":"civitai","model_version_id":"1004"})"));
        CPPUNIT_ASSERT(early->getValue<std::string>("error").find("early access until 2099-01-01") == 0);
        const auto gated = waitFinished(
            queue(R"({"source":"huggingface","repo_id":"org/gated","filename":"unet/flux_unet.safetensors"})"));
        CPPUNIT_ASSERT(gated->getValue<std::string>("error").find("gated repository") == 0);
        const auto noSuchFile =
            waitFinished(queue(R"({"source":"huggingface","repo_id":"org/flux","filename":"missing.bin"})"));
        CPPUNIT_ASSERT(noSuchFile->getValue<std::string>("error").find("not found") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string(""), listing());
    }

    void perSourceLimitHoldsWithASlowSource()
    {
        start({{"downloads.max_active_civitai", "1"}});
        _sources->civitai.setFault("civitai", throttle(256 * 1024)); // ~1 s for the big file
        const std::string big = queue(R"({"source":"civitai","model_version_id":"1001"})");
        const std::string small = queue(R"({"source":"civitai","model_version_id":"1002","size":"full","fp":"fp32"})");
        const std::string hf =
            queue(R"({"source":"huggingface","repo_id":"org/flux","filename":"config.json","folder_type":"vae"})");
        int maxCivitai = 0;
        bool sawOneWaiting = false;
        while (true) {
            const auto list = _server->client().get(base + "/jobs", _ada).json();
            const auto stats = list->getObject("stats");
            maxCivitai = std::max(maxCivitai, stats->getValue<int>("active_civitai"));
            int running = 0, queued = 0, done = 0;
            const auto jobs = list->getArray("jobs");
            for (std::size_t i = 0; i < jobs->size(); ++i) {
                const auto job = jobs->getObject(i);
                const std::string status = job->getValue<std::string>("status");
                if (job->getValue<std::string>("source") == "civitai") {
                    running += status == "running";
                    queued += status == "queued";
                }
                done += finished(job);
            }
            CPPUNIT_ASSERT(running <= 1);
            sawOneWaiting = sawOneWaiting || (running == 1 && queued == 1);
            if (done == 3)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        CPPUNIT_ASSERT_EQUAL(1, maxCivitai);
        CPPUNIT_ASSERT(sawOneWaiting);
        for (const auto& id : {big, small, hf})
            CPPUNIT_ASSERT_EQUAL(std::string("completed"), waitFinished(id)->getValue<std::string>("status"));
        // The Hugging Face job did not wait for the CivitAI slot.
        const auto hfJob = waitFinished(hf);
        const auto bigJob = waitFinished(big);
        CPPUNIT_ASSERT(hfJob->getValue<Poco::Int64>("finished_at") <= bigJob->getValue<Poco::Int64>("finished_at"));
    }

    void cancellingARunningJobStopsItsTransfer()
    {
        start();
        _sources->civitai.setFault("main", throttle(16 * 1024)); // 16 s for 256 KiB
        const std::string id = queue(R"({"source":"civitai","model_version_id":"1001"})");
        const auto moving = _server->waitForJob(_ada, id, [](const Poco::JSON::Object::Ptr& job) {
            return job->getValue<std::string>("status") == "running" && job->getValue<Poco::Int64>("bytes_done") > 0;
        });
        CPPUNIT_ASSERT_EQUAL(std::string("running"), moving->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(true, moving->getValue<bool>("can_cancel"));
        CPPUNIT_ASSERT(moving->getValue<double>("speed_bps") > 0);
        CPPUNIT_ASSERT(!moving->isNull("eta_seconds"));
        CPPUNIT_ASSERT(!moving->isNull("total_bytes"));
        const auto started = std::chrono::steady_clock::now();
        auto cancel = _server->client().postJson(base + "/jobs/" + id + "/cancel", "", _ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cancel.body, 200, cancel.status);
        const auto job = DownloadServer::waitForStatus(*_server, _ada, id, "cancelled");
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), job->getValue<std::string>("status"));
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
        // Nothing left behind: no final file, no partial file.
        CPPUNIT_ASSERT_EQUAL(std::string(""), listing());
        CPPUNIT_ASSERT_EQUAL(400, _server->client().postJson(base + "/jobs/" + id + "/cancel", "", _ada).status);
    }

    void presentFileAndSameTargetCostOneTransfer()
    {
        start();
        _sources->civitai.setFault("main", throttle(512 * 1024));
        // Two jobs for one target at once: one transfer.
        const std::string first = queue(R"({"source":"civitai","model_version_id":"1001"})");
        const std::string second = queue(R"({"source":"civitai","model_version_id":"1001"})");
        for (const auto& id : {first, second}) {
            const auto job = waitFinished(id);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(job->getValue<std::string>("error"), std::string("completed"),
                                         job->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"),
                                 job->getValue<std::string>("destination"));
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _sources->civitaiStorageGets());
        // The content already there: completes without touching storage.
        _sources->civitai.clearLog();
        const auto third = waitFinished(queue(R"({"source":"civitai","model_version_id":"1001"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), third->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), _sources->civitaiStorageGets());
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"), listing());
    }

    void isolationPutsTheFileInTheOwnersTree()
    {
        start({{"experimental.model_isolation", "true"}});
        const std::string adaId =
            _server->client().get("/mss-login/api/me", _ada).json()->getValue<std::string>("user_id");
        const auto job = waitFinished(queue(R"({"source":"civitai","model_version_id":"1001"})"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(job->getValue<std::string>("error"), std::string("completed"),
                                     job->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL("checkpoints/" + adaId + "/juggernaut_v9.safetensors",
                             job->getValue<std::string>("destination"));
        CPPUNIT_ASSERT(fs::exists(_server->modelsDir() + "/checkpoints/" + adaId + "/juggernaut_v9.safetensors"));
    }

    void policyIsAskedAgainWithTheResolvedSize()
    {
        comfygate::test::TempDir policies;
        policies.write("download.lua", R"(
policy.on("download", function(subject, request)
    if request.size_bytes and request.size_bytes > 100000 then
        return false, string.format("%s is %d bytes; the cap is 100000", request.filename, request.size_bytes)
    end
end)
)");
        start({{"policy.dir", policies.path()}});
        const auto big = waitFinished(queue(R"({"source":"civitai","model_version_id":"1001"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), big->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("refused by the download policy: juggernaut_v9.safetensors is 262144 bytes; "
                                         "the cap is 100000"),
                             big->getValue<std::string>("error"));
        const auto small = waitFinished(queue(R"({"source":"civitai","model_version_id":"1002","size":"full","fp":"fp32"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), small->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/model_full_fp32.safetensors"), listing());
    }

    void killDuringThreeDownloadsThenRestartCompletesAll()
    {
        // Files large enough that the transfer has flushed some of each to disk (it writes
        // in 1 MiB blocks) when the process dies.
        using comfygate::fakes::ContentKind;
        using comfygate::fakes::FileSpec;
        constexpr std::uint64_t size = 6 * 1024 * 1024;
        _sources->civitai.addFile(FileSpec{"main", "juggernaut_v9.safetensors", size, 7, ContentKind::Prng});
        _sources->civitai.addFile(FileSpec{"full", "model_full_fp32.safetensors", size, 8, ContentKind::Prng});
        _sources->hf.addFile(FileSpec{"lfs", "flux_unet.safetensors", size, 21, ContentKind::Prng});
        start();
        _sources->civitai.setFault("civitai", throttle(512 * 1024));
        _sources->hf.setFault("hf", throttle(512 * 1024));
        const std::string a = queue(R"({"source":"civitai","model_version_id":"1001"})");
        const std::string b = queue(R"({"source":"civitai","model_version_id":"1002","size":"full","fp":"fp32"})");
        const std::string c = queue(
            R"({"source":"huggingface","repo_id":"org/flux","filename":"unet/flux_unet.safetensors","folder_type":"unet"})");
        for (const auto& id : {a, b, c}) {
            const auto job = _server->waitForJob(_ada, id, [](const Poco::JSON::Object::Ptr& j) {
                return j->getValue<Poco::Int64>("bytes_done") > 1536 * 1024;
            });
            CPPUNIT_ASSERT_EQUAL(std::string("running"), job->getValue<std::string>("status"));
        }
        _server->process().kill9();
        // Partial files only, never a final name.
        const std::string crashed = listing();
        for (const char* part : {"checkpoints/juggernaut_v9.safetensors.part",
                                 "checkpoints/model_full_fp32.safetensors.part", "unet/flux_unet.safetensors.part"})
            CPPUNIT_ASSERT_MESSAGE(crashed, crashed.find(part) != std::string::npos);
        for (const char* final :
             {"juggernaut_v9.safetensors|", "model_full_fp32.safetensors|", "flux_unet.safetensors|"})
            CPPUNIT_ASSERT_MESSAGE(crashed, (crashed + "|").find(final) == std::string::npos);

        _sources->civitai.clearFaults();
        _sources->hf.clearFaults();
        _sources->civitai.clearLog();
        _sources->hf.clearLog();
        _server->start();
        _ada = _server->login("ada");
        const std::map<std::string, std::pair<std::string, std::string>> expected{
            {a, {"checkpoints/juggernaut_v9.safetensors", _sources->civitai.sha256("main")}},
            {b, {"checkpoints/model_full_fp32.safetensors", _sources->civitai.sha256("full")}},
            {c, {"unet/flux_unet.safetensors", _sources->hf.sha256("lfs")}}};
        for (const auto& [id, file] : expected) {
            const auto job = waitFinished(id);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(job->getValue<std::string>("error"), std::string("completed"),
                                         job->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(file.first, job->getValue<std::string>("destination"));
            CPPUNIT_ASSERT_EQUAL(file.second, comfygate::modeldownload::FileDigest::sha256OfFile(_server->modelsDir() +
                                                                                                 "/" + file.first));
        }
        CPPUNIT_ASSERT_EQUAL(
            std::string("checkpoints/juggernaut_v9.safetensors|checkpoints/model_full_fp32.safetensors|"
                        "unet/flux_unet.safetensors"),
            listing());
        // All three resumed: after the restart each file was asked for from where it stopped
        // (the first flushed MiB), never from byte 0. Requests cut off by the crash are logged
        // when their socket closes, with the sequence number of their start: skip those.
        auto resumedFiles = [](const std::vector<comfygate::fakes::LogEntry>& log, const std::string& storage) {
            std::uint64_t restarted = UINT64_MAX;
            for (const auto& entry : log) {
                if (entry.listener == "api")
                    restarted = std::min(restarted, entry.seq);
            }
            std::set<std::string> paths;
            for (const auto& entry : log) {
                if (entry.listener != storage || entry.seq < restarted || entry.method != "GET")
                    continue;
                CPPUNIT_ASSERT_MESSAGE(entry.toJsonLine(), entry.range.rfind("bytes=", 0) == 0);
                CPPUNIT_ASSERT_MESSAGE(entry.toJsonLine(), std::stoll(entry.range.substr(6)) >= 1000000);
                paths.insert(entry.path);
            }
            return paths.size();
        };
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), resumedFiles(_sources->civitai.log(), "storage"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), resumedFiles(_sources->hf.log(), "cdn"));
    }

private:
    void start(std::map<std::string, std::string> extra = {})
    {
        std::map<std::string, std::string> settings{{"downloads.civitai.base_url", _sources->civitai.apiUrl()},
                                                    {"downloads.huggingface.base_url", _sources->hf.apiUrl()},
                                                    {"downloads.stall_seconds", "5"}};
        for (auto& [key, value] : extra)
            settings[key] = value;
        _server = std::make_unique<DownloadServer>(settings);
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

    std::string listing() const
    {
        std::string joined;
        for (const auto& name : filesBelow(_server->modelsDir()))
            joined += (joined.empty() ? "" : "|") + name;
        return joined;
    }

    std::unique_ptr<ModelSources> _sources;
    std::unique_ptr<DownloadServer> _server;
    Headers _ada;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DownloadQueueServerTest);
