// The download queue in the real binary against the fake CivitAI and Hugging Face: verified
// downloads, the sources' refusals as job errors, limits with a slow source, cancel of a
// running transfer, dedupe, one transfer for two jobs, model isolation, and kill -9 during
// three concurrent downloads followed by a restart that resumes all three (once their leases
// expire), a second instance on the same database that must not take over running jobs, and
// a models folder holding only final files whatever way a job ends.
#include "DownloadBench.h"
#include "FileDigest.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>

#include <filesystem>
#include <set>
#include <thread>

using comfygate::test::DownloadBench;
using comfygate::test::DownloadServer;
using comfygate::test::ModelSourceIds;
using comfygate::test::ModelSources;
using Headers = std::map<std::string, std::string>;
namespace fs = std::filesystem;

namespace {

const std::string base = DownloadBench::base;

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
    CPPUNIT_TEST(secondInstanceOnTheSameDatabaseLeavesRunningJobsAlone);
    CPPUNIT_TEST(failedJobLeavesNoPartialFile);
    CPPUNIT_TEST(pausedJobCancelledWhileQueuedLeavesNoPartialFile);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { _bench = std::make_unique<DownloadBench>(); }

    void tearDown() override { _bench.reset(); }

    void civitaiAndHuggingFaceDownloadsArriveVerified()
    {
        _bench->start();
        const std::string civitai = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        const std::string hf = _bench->queue(
            R"({"source":"huggingface","repo_id":"org/flux","filename":"unet/flux_unet.safetensors","folder_type":"unet"})");

        const auto c = _bench->waitFinished(civitai);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(c->getValue<std::string>("error"), std::string("completed"),
                                     c->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"),
                             c->getValue<std::string>("destination"));
        CPPUNIT_ASSERT_EQUAL(_bench->sources->civitai.sha256("main"), c->getValue<std::string>("sha256"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(ModelSourceIds::fileSize), c->getValue<Poco::Int64>("bytes_done"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(ModelSourceIds::fileSize), c->getValue<Poco::Int64>("total_bytes"));
        CPPUNIT_ASSERT_EQUAL(100.0, c->getValue<double>("progress_pct"));
        CPPUNIT_ASSERT_EQUAL(false, c->getValue<bool>("can_cancel"));
        CPPUNIT_ASSERT_EQUAL(
            _bench->sources->civitai.content("main"),
            ModelSources::read(_bench->server->modelsDir() + "/checkpoints/juggernaut_v9.safetensors"));

        const auto h = _bench->waitFinished(hf);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(h->getValue<std::string>("error"), std::string("completed"),
                                     h->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("unet/flux_unet.safetensors"), h->getValue<std::string>("destination"));
        CPPUNIT_ASSERT_EQUAL(_bench->sources->hf.sha256("lfs"), h->getValue<std::string>("sha256"));

        // Only final names on disk; the key never reached a storage host.
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors|unet/flux_unet.safetensors"),
                             _bench->listing());
        for (const auto& entry : _bench->sources->civitaiLog("storage"))
            CPPUNIT_ASSERT(!entry.authorization && !entry.tokenInQuery);
        CPPUNIT_ASSERT(!_bench->sources->civitaiLog("storage").empty());
    }

    void refusalsOfTheSourceBecomeTheJobsError()
    {
        _bench->start();
        const auto generationOnly =
            _bench->waitFinished(_bench->queue(R"({"source":"civitai","model_version_id":"1003"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), generationOnly->getValue<std::string>("status"));
        CPPUNIT_ASSERT(generationOnly->getValue<std::string>("error").find("generation-only model") == 0);
        const auto early = _bench->waitFinished(_bench->queue(R"({"source":"civitai","model_version_id":"1004"})"));
        CPPUNIT_ASSERT(early->getValue<std::string>("error").find("early access until 2099-01-01") == 0);
        const auto gated = _bench->waitFinished(
            _bench->queue(R"({"source":"huggingface","repo_id":"org/gated","filename":"unet/flux_unet.safetensors"})"));
        CPPUNIT_ASSERT(gated->getValue<std::string>("error").find("gated repository") == 0);
        const auto noSuchFile = _bench->waitFinished(
            _bench->queue(R"({"source":"huggingface","repo_id":"org/flux","filename":"missing.bin"})"));
        CPPUNIT_ASSERT(noSuchFile->getValue<std::string>("error").find("not found") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string(""), _bench->listing());
    }

    void perSourceLimitHoldsWithASlowSource()
    {
        _bench->start({{"downloads.max_active_civitai", "1"}});
        _bench->sources->civitai.setFault("civitai", DownloadBench::throttle(256 * 1024)); // ~1 s for the big file
        const std::string big = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        const std::string small =
            _bench->queue(R"({"source":"civitai","model_version_id":"1002","size":"full","fp":"fp32"})");
        const std::string hf = _bench->queue(
            R"({"source":"huggingface","repo_id":"org/flux","filename":"config.json","folder_type":"vae"})");
        int maxCivitai = 0;
        bool sawOneWaiting = false;
        while (true) {
            const auto list = _bench->server->client().get(base + "/jobs", _bench->ada).json();
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
                done += DownloadBench::finished(job);
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
            CPPUNIT_ASSERT_EQUAL(std::string("completed"), _bench->waitFinished(id)->getValue<std::string>("status"));
        // The Hugging Face job did not wait for the CivitAI slot.
        const auto hfJob = _bench->waitFinished(hf);
        const auto bigJob = _bench->waitFinished(big);
        CPPUNIT_ASSERT(hfJob->getValue<Poco::Int64>("finished_at") <= bigJob->getValue<Poco::Int64>("finished_at"));
    }

    void cancellingARunningJobStopsItsTransfer()
    {
        _bench->start();
        _bench->sources->civitai.setFault("main", DownloadBench::throttle(16 * 1024)); // 16 s for 256 KiB
        const std::string id = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        const auto moving = _bench->server->waitForJob(_bench->ada, id, [](const Poco::JSON::Object::Ptr& job) {
            return job->getValue<std::string>("status") == "running" && job->getValue<Poco::Int64>("bytes_done") > 0;
        });
        CPPUNIT_ASSERT_EQUAL(std::string("running"), moving->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(true, moving->getValue<bool>("can_cancel"));
        CPPUNIT_ASSERT(moving->getValue<double>("speed_bps") > 0);
        CPPUNIT_ASSERT(!moving->isNull("eta_seconds"));
        CPPUNIT_ASSERT(!moving->isNull("total_bytes"));
        const auto started = std::chrono::steady_clock::now();
        auto cancel = _bench->server->client().postJson(base + "/jobs/" + id + "/cancel", "", _bench->ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cancel.body, 200, cancel.status);
        const auto job = DownloadServer::waitForStatus(*_bench->server, _bench->ada, id, "cancelled");
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), job->getValue<std::string>("status"));
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
        // Nothing left behind: no final file, no partial file.
        CPPUNIT_ASSERT_EQUAL(std::string(""), _bench->listing());
        CPPUNIT_ASSERT_EQUAL(
            400, _bench->server->client().postJson(base + "/jobs/" + id + "/cancel", "", _bench->ada).status);
    }

    void presentFileAndSameTargetCostOneTransfer()
    {
        _bench->start();
        _bench->sources->civitai.setFault("main", DownloadBench::throttle(512 * 1024));
        // Two jobs for one target at once: one transfer.
        const std::string first = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        const std::string second = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        for (const auto& id : {first, second}) {
            const auto job = _bench->waitFinished(id);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(job->getValue<std::string>("error"), std::string("completed"),
                                         job->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"),
                                 job->getValue<std::string>("destination"));
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _bench->storageGets());
        // The content already there: completes without touching storage.
        _bench->sources->civitai.clearLog();
        const auto third = _bench->waitFinished(_bench->queue(R"({"source":"civitai","model_version_id":"1001"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), third->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), _bench->storageGets());
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"), _bench->listing());
    }

    void isolationPutsTheFileInTheOwnersTree()
    {
        _bench->start({{"experimental.model_isolation", "true"}});
        const std::string adaId =
            _bench->server->client().get("/mss-login/api/me", _bench->ada).json()->getValue<std::string>("user_id");
        const auto job = _bench->waitFinished(_bench->queue(R"({"source":"civitai","model_version_id":"1001"})"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(job->getValue<std::string>("error"), std::string("completed"),
                                     job->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL("checkpoints/" + adaId + "/juggernaut_v9.safetensors",
                             job->getValue<std::string>("destination"));
        CPPUNIT_ASSERT(
            fs::exists(_bench->server->modelsDir() + "/checkpoints/" + adaId + "/juggernaut_v9.safetensors"));
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
        _bench->start({{"policy.dir", policies.path()}});
        const auto big = _bench->waitFinished(_bench->queue(R"({"source":"civitai","model_version_id":"1001"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), big->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("refused by the download policy: juggernaut_v9.safetensors is 262144 bytes; "
                                         "the cap is 100000"),
                             big->getValue<std::string>("error"));
        const auto small = _bench->waitFinished(
            _bench->queue(R"({"source":"civitai","model_version_id":"1002","size":"full","fp":"fp32"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), small->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/model_full_fp32.safetensors"), _bench->listing());
    }

    void killDuringThreeDownloadsThenRestartCompletesAll()
    {
        // Files large enough that the transfer has flushed some of each to disk (it writes
        // in 1 MiB blocks) when the process dies.
        using comfygate::fakes::ContentKind;
        using comfygate::fakes::FileSpec;
        constexpr std::uint64_t size = 6 * 1024 * 1024;
        _bench->sources->civitai.addFile(FileSpec{"main", "juggernaut_v9.safetensors", size, 7, ContentKind::Prng});
        _bench->sources->civitai.addFile(FileSpec{"full", "model_full_fp32.safetensors", size, 8, ContentKind::Prng});
        _bench->sources->hf.addFile(FileSpec{"lfs", "flux_unet.safetensors", size, 21, ContentKind::Prng});
        _bench->start({{"downloads.lease_seconds", "3"}});
        _bench->sources->civitai.setFault("civitai", DownloadBench::throttle(512 * 1024));
        _bench->sources->hf.setFault("hf", DownloadBench::throttle(512 * 1024));
        const std::string a = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        const std::string b =
            _bench->queue(R"({"source":"civitai","model_version_id":"1002","size":"full","fp":"fp32"})");
        const std::string c = _bench->queue(
            R"({"source":"huggingface","repo_id":"org/flux","filename":"unet/flux_unet.safetensors","folder_type":"unet"})");
        for (const auto& id : {a, b, c}) {
            const auto job = _bench->server->waitForJob(_bench->ada, id, [](const Poco::JSON::Object::Ptr& j) {
                return j->getValue<Poco::Int64>("bytes_done") > 1536 * 1024;
            });
            CPPUNIT_ASSERT_EQUAL(std::string("running"), job->getValue<std::string>("status"));
        }
        _bench->server->process().kill9();
        // Partial files only, never a final name.
        const std::string crashed = _bench->listing();
        for (const char* part : {"checkpoints/juggernaut_v9.safetensors.part",
                                 "checkpoints/model_full_fp32.safetensors.part", "unet/flux_unet.safetensors.part"})
            CPPUNIT_ASSERT_MESSAGE(crashed, crashed.find(part) != std::string::npos);
        for (const char* final :
             {"juggernaut_v9.safetensors|", "model_full_fp32.safetensors|", "flux_unet.safetensors|"})
            CPPUNIT_ASSERT_MESSAGE(crashed, (crashed + "|").find(final) == std::string::npos);

        _bench->sources->civitai.clearFaults();
        _bench->sources->hf.clearFaults();
        _bench->sources->civitai.clearLog();
        _bench->sources->hf.clearLog();
        _bench->server->start();
        _bench->ada = _bench->server->login("ada");
        const std::map<std::string, std::pair<std::string, std::string>> expected{
            {a, {"checkpoints/juggernaut_v9.safetensors", _bench->sources->civitai.sha256("main")}},
            {b, {"checkpoints/model_full_fp32.safetensors", _bench->sources->civitai.sha256("full")}},
            {c, {"unet/flux_unet.safetensors", _bench->sources->hf.sha256("lfs")}}};
        for (const auto& [id, file] : expected) {
            const auto job = _bench->waitFinished(id);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(job->getValue<std::string>("error"), std::string("completed"),
                                         job->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(file.first, job->getValue<std::string>("destination"));
            CPPUNIT_ASSERT_EQUAL(file.second, comfygate::modeldownload::FileDigest::sha256OfFile(
                                                  _bench->server->modelsDir() + "/" + file.first));
        }
        CPPUNIT_ASSERT_EQUAL(
            std::string("checkpoints/juggernaut_v9.safetensors|checkpoints/model_full_fp32.safetensors|"
                        "unet/flux_unet.safetensors"),
            _bench->listing());
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
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), resumedFiles(_bench->sources->civitai.log(), "storage"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), resumedFiles(_bench->sources->hf.log(), "cdn"));
    }

    void secondInstanceOnTheSameDatabaseLeavesRunningJobsAlone()
    {
        _bench->start();
        _bench->sources->civitai.setFault("main", DownloadBench::throttle(64 * 1024)); // 4 s for 256 KiB
        const std::string id = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        _bench->server->waitForJob(_bench->ada, id, [](const Poco::JSON::Object::Ptr& job) {
            return job->getValue<Poco::Int64>("bytes_done") > 0;
        });
        // Another instance (its own data directory) on the same database and models folder,
        // started while the first one's lease is alive.
        DownloadServer second({{"db.sqlite.path", _bench->server->process().dataDir() + "/comfygate.db"},
                               {"comfy.models_dir", _bench->server->modelsDir()},
                               {"downloads.civitai.base_url", _bench->sources->civitai.apiUrl()},
                               {"downloads.huggingface.base_url", _bench->sources->hf.apiUrl()}});
        second.start();
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        const auto during = _bench->server->waitForJob(_bench->ada, id, [](const auto&) { return true; });
        CPPUNIT_ASSERT_EQUAL(std::string("running"), during->getValue<std::string>("status"));

        const auto job = _bench->waitFinished(id);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(job->getValue<std::string>("error"), std::string("completed"),
                                     job->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _bench->storageGets()); // one transfer, never two
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"), _bench->listing());
        CPPUNIT_ASSERT_EQUAL(_bench->sources->civitai.sha256("main"),
                             comfygate::modeldownload::FileDigest::sha256OfFile(
                                 _bench->server->modelsDir() + "/checkpoints/juggernaut_v9.safetensors"));
        CPPUNIT_ASSERT(second.process().stderrText().find("interrupted") == std::string::npos);
    }

    void failedJobLeavesNoPartialFile()
    {
        _bench->start();
        // Half the file arrives, the connection drops, and the resume is refused for good.
        comfygate::fakes::Fault slowThenCut = DownloadBench::throttle(64 * 1024);
        slowThenCut.truncateAfter = ModelSourceIds::fileSize / 2;
        _bench->sources->civitai.setFault("main", slowThenCut);
        const std::string id = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        _bench->server->waitForJob(_bench->ada, id, [](const Poco::JSON::Object::Ptr& job) {
            return job->getValue<Poco::Int64>("bytes_done") > 0;
        });
        _bench->sources->civitai.setFault("civitai.storage",
                                          comfygate::fakes::Fault{.failFirstN = 10, .failStatus = 404});
        const std::string why = _bench->waitFailed(id);
        CPPUNIT_ASSERT_MESSAGE(why, why.find("404") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string(""), _bench->listing());
    }

    void pausedJobCancelledWhileQueuedLeavesNoPartialFile()
    {
        _bench->start();
        _bench->sources->civitai.setFault("main", DownloadBench::throttle(32 * 1024));
        const std::string id = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        _bench->server->waitForJob(_bench->ada, id, [](const Poco::JSON::Object::Ptr& job) {
            return job->getValue<Poco::Int64>("bytes_done") > 0;
        });
        CPPUNIT_ASSERT_EQUAL(0, _bench->server->process().stop()); // pauses: the .part stays
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors.part|"
                                         "checkpoints/juggernaut_v9.safetensors.part.json"),
                             _bench->listing());
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, _bench->server->process().runCommand({"download", "cancel", id}, out, err));
        CPPUNIT_ASSERT_MESSAGE(out, out.find("cancelled " + id) != std::string::npos);

        _bench->server->start();
        _bench->ada = _bench->server->login("ada");
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!_bench->listing().empty() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        CPPUNIT_ASSERT_EQUAL(std::string(""), _bench->listing());
        const auto job = _bench->waitFinished(id);
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), job->getValue<std::string>("status"));
    }

private:
    std::unique_ptr<DownloadBench> _bench;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DownloadQueueServerTest);
