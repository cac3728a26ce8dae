// The twelve download scenarios of the reference's fake-server section (civitai-huggingface.md
// §5.4), each through the real binary's HTTP API against the fake CivitAI and Hugging Face and
// judged by the fakes' request logs; plus parallel ranges and the pause of a clean stop.
//
// Already asserted by DownloadQueueServerTest and not repeated here: the happy paths' content,
// hash and final names (1), generation-only / early access / gated / missing-file errors (3),
// the in-folder dedupe of a present file (10) and two jobs sharing one sequential transfer
// (12). The in-process FileTransferTest covers an HTML body being refused (3), which the
// binary's non-browser User-Agent never provokes from the fakes.
#include "DownloadBench.h"
#include "FileDigest.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>

#include <filesystem>
#include <regex>
#include <set>

using comfygate::fakes::ContentKind;
using comfygate::fakes::Fault;
using comfygate::fakes::FileSpec;
using comfygate::fakes::LogEntry;
using comfygate::test::DownloadBench;
using comfygate::test::ModelSourceIds;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;
constexpr std::uint64_t bigSize = 4 * MiB; ///< above parallel_min_mb = 1, four 1 MiB pieces

const std::map<std::string, std::string> parallel{{"downloads.parallel_min_mb", "1"},
                                                  {"downloads.parallel_connections", "4"}};

std::map<std::string, std::string> with(std::map<std::string, std::string> settings,
                                        const std::map<std::string, std::string>& more)
{
    for (const auto& [key, value] : more)
        settings[key] = value;
    return settings;
}

/// `bytes=<a>-<b>` → {a, b}; `bytes=<a>-` → {a, -1}; nothing else → {-1, -1}.
std::pair<std::int64_t, std::int64_t> rangeOf(const LogEntry& entry)
{
    static const std::regex pattern(R"(bytes=(\d+)-(\d*))");
    std::smatch match;
    if (!std::regex_match(entry.range, match, pattern))
        return {-1, -1};
    return {std::stoll(match[1]), match[2].length() ? std::stoll(match[2]) : -1};
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

std::string describe(const std::vector<LogEntry>& log)
{
    std::string lines;
    for (const auto& entry : log)
        lines += entry.toJsonLine() + "\n";
    return lines;
}

} // namespace

class DownloadScenariosTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(DownloadScenariosTest);
    CPPUNIT_TEST(happyPathSendsTheKeyOnlyToTheApi);
    CPPUNIT_TEST(storedKeyAsBearerAndInvalidKeyExplained);
    CPPUNIT_TEST(refusalsNameTheirReason);
    CPPUNIT_TEST(multiFileSelectionByTypeFormatFp);
    CPPUNIT_TEST(dropAt40PercentResumesWithRange);
    CPPUNIT_TEST(expiredLinkIsResolvedAgainAndResumed);
    CPPUNIT_TEST(ignoredRangeRestartsCleanly);
    CPPUNIT_TEST(corruptionFailsWithBothHashesAndLeavesNothing);
    CPPUNIT_TEST(backoffHonoursRetryAfterButNotOther4xx);
    CPPUNIT_TEST(huggingFacePinsTheCommitTellsGatesApartFollowsRenames);
    CPPUNIT_TEST(dedupeAcrossSourcesCostsNoStorageGet);
    CPPUNIT_TEST(parallelRangesReassembleWithProgressAndStallRecovery);
    CPPUNIT_TEST(twoJobsShareOneParallelTransfer);
    CPPUNIT_TEST(cleanStopPausesAndRestartResumesWithRange);
    CPPUNIT_TEST(cleanStopOfAParallelTransferFetchesOnlyTheMissingRanges);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { _bench = std::make_unique<DownloadBench>(); }
    void tearDown() override { _bench.reset(); }

    // 1. metadata → download route (key as Bearer) → 307 → storage (no key) → rename.
    void happyPathSendsTheKeyOnlyToTheApi()
    {
        _bench->start();
        const auto job = _bench->waitCompleted(_bench->queue(R"({"source":"civitai","model_version_id":"1001"})"));
        CPPUNIT_ASSERT_EQUAL(civitai().sha256("main"), job->getValue<std::string>("sha256"));

        const auto log = civitai().log();
        std::vector<std::string> route;
        for (const auto& entry : log) {
            route.push_back(entry.listener + " " + entry.method + " " + entry.path + " " +
                            std::to_string(entry.status));
            CPPUNIT_ASSERT_MESSAGE(entry.toJsonLine(), !entry.tokenInQuery);
            CPPUNIT_ASSERT_MESSAGE(entry.toJsonLine(), entry.authorization == (entry.listener == "api"));
            CPPUNIT_ASSERT_EQUAL(std::string("comfygate-downloader/1"), entry.userAgent);
        }
        const std::string expected = "api GET /api/v1/model-versions/1001 200|"
                                     "api GET /api/download/models/1001 307|" // the resolver's probe
                                     "api GET /api/download/models/1001 307|"
                                     "storage GET /r2/main 200";
        std::string seen;
        for (const auto& line : route)
            seen += (seen.empty() ? "" : "|") + line;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(log), expected, seen);
        // The bytes went through the .part, which the rename consumed with its state file.
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"), _bench->listing());
    }

    // 2. The stored key travels as Bearer; an invalid key looks anonymous to the download
    //    route, so the job asks /api/v1/me and says the key is invalid.
    void storedKeyAsBearerAndInvalidKeyExplained()
    {
        _bench->start({}, "tok-invalid");
        const std::string error =
            _bench->waitFailed(_bench->queue(R"({"source":"civitai","model_version_id":"1005"})"));
        CPPUNIT_ASSERT_MESSAGE(error, contains(error, "your CivitAI API key was rejected"));
        CPPUNIT_ASSERT_EQUAL(
            std::size_t(1),
            civitai()
                .log([](const LogEntry& e) { return e.path == "/api/v1/me" && e.authorization && e.status == 401; })
                .size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), _bench->storageGets());

        _bench->storeKey("civitai", "tok-ok");
        _bench->waitCompleted(_bench->queue(R"({"source":"civitai","model_version_id":"1005"})"));
        for (const auto& entry : civitai().log())
            CPPUNIT_ASSERT_MESSAGE(entry.toJsonLine(), !entry.tokenInQuery);
    }

    // 3. Archived, unknown and login-required versions fail with their reason and no
    //    transfer; the browser-UA HTML trap is never sprung by the downloader's User-Agent.
    void refusalsNameTheirReason()
    {
        _bench->start({{"downloads.civitai.require_api_key", "false"}}, "");
        const std::string archived =
            _bench->waitFailed(_bench->queue(R"({"source":"civitai","model_version_id":"2001"})"));
        CPPUNIT_ASSERT_MESSAGE(archived, contains(archived, "is archived"));
        const std::string unknown =
            _bench->waitFailed(_bench->queue(R"({"source":"civitai","model_version_id":"987654"})"));
        CPPUNIT_ASSERT_MESSAGE(unknown, contains(unknown, "CivitAI model version 987654 not found"));
        const std::string login =
            _bench->waitFailed(_bench->queue(R"({"source":"civitai","model_version_id":"1005"})"));
        CPPUNIT_ASSERT_MESSAGE(login, contains(login, "CivitAI requires an API key for this model"));

        Fault trap;
        trap.htmlForBrowserUa = true;
        civitai().setFault("civitai", trap);
        _bench->waitCompleted(_bench->queue(R"({"source":"civitai","model_version_id":"1001"})"));
        CPPUNIT_ASSERT(civitai().log([](const LogEntry& e) { return e.path == "/login"; }).empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _bench->storageGets());
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"), _bench->listing());
    }

    // 4. A multi-file version: the file is chosen by type/format/fp and pinned by fileId; a
    //    selector that matches nothing lists what there is.
    void multiFileSelectionByTypeFormatFp()
    {
        _bench->start();
        const auto full = _bench->waitCompleted(_bench->queue(
            R"({"source":"civitai","model_version_id":"1002","type":"Model","format":"SafeTensor","size":"full","fp":"fp32"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/model_full_fp32.safetensors"),
                             full->getValue<std::string>("destination"));
        const auto vae = _bench->waitCompleted(
            _bench->queue(R"({"source":"civitai","model_version_id":"1002","type":"VAE","folder_type":"vae"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("vae/model_vae.safetensors"), vae->getValue<std::string>("destination"));
        CPPUNIT_ASSERT_EQUAL(civitai().sha256("vae"), vae->getValue<std::string>("sha256"));
        std::set<std::string> pins;
        for (const auto& entry : _bench->gets(civitai(), "api")) {
            if (entry.path == "/api/download/models/1002")
                pins.insert(entry.query);
        }
        CPPUNIT_ASSERT_MESSAGE(describe(civitai().log()), pins.count("fileId=21") && pins.count("fileId=23"));

        const std::string mismatch =
            _bench->waitFailed(_bench->queue(R"({"source":"civitai","model_version_id":"1002","fp":"bf16"})"));
        CPPUNIT_ASSERT_MESSAGE(mismatch, contains(mismatch, "no file of CivitAI model version 1002 matches"));
        CPPUNIT_ASSERT_MESSAGE(mismatch, contains(mismatch, "model_pruned_fp16.safetensors"));
    }

    // 5a. The connection drops at 40 %: the job resumes with Range from exactly there.
    void dropAt40PercentResumesWithRange()
    {
        _bench->start();
        Fault drop;
        drop.truncateAfter = ModelSourceIds::fileSize * 4 / 10;
        civitai().setFault("main", drop);
        const auto job = _bench->waitCompleted(_bench->queue(R"({"source":"civitai","model_version_id":"1001"})"));
        CPPUNIT_ASSERT_EQUAL(civitai().sha256("main"), job->getValue<std::string>("sha256"));
        const auto storage = _bench->gets(civitai(), "storage");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(storage), std::size_t(2), storage.size());
        CPPUNIT_ASSERT_EQUAL(std::string(""), storage[0].range);
        CPPUNIT_ASSERT_EQUAL(*drop.truncateAfter, storage[0].bytesSent);
        CPPUNIT_ASSERT_EQUAL("bytes=" + std::to_string(*drop.truncateAfter) + "-", storage[1].range);
        CPPUNIT_ASSERT(!storage[1].ifRange.empty()); // the storage's strong ETag
        CPPUNIT_ASSERT_EQUAL(206, storage[1].status);
        CPPUNIT_ASSERT_EQUAL(ModelSourceIds::fileSize - *drop.truncateAfter, storage[1].bytesSent);
    }

    // 5b. Parallel workers hold the signed storage link; once it has expired the storage
    //     answers 403 and the transfer asks the download route for a fresh one and goes on.
    void expiredLinkIsResolvedAgainAndResumed()
    {
        civitai().addFile(FileSpec{"main", "juggernaut_v9.safetensors", bigSize, 7, ContentKind::Prng});
        _bench->start(parallel);
        Fault fault = DownloadBench::throttle(2 * MiB);
        fault.truncateAfter = 2 * MiB + MiB / 2; // inside the third piece
        fault.expireAfterS = 0.2;
        civitai().setFault("main", fault);
        const auto job = _bench->waitCompleted(_bench->queue(R"({"source":"civitai","model_version_id":"1001"})"));
        CPPUNIT_ASSERT_EQUAL(civitai().sha256("main"), job->getValue<std::string>("sha256"));

        const auto storage = _bench->gets(civitai(), "storage");
        const auto expired =
            std::find_if(storage.begin(), storage.end(), [](const LogEntry& e) { return e.status == 403; });
        CPPUNIT_ASSERT_MESSAGE(describe(storage), expired != storage.end());
        // After the 403 a fresh link was fetched and the piece continued from the drop.
        const auto resumed = std::find_if(expired, storage.end(), [&](const LogEntry& e) {
            return e.status == 206 && rangeOf(e).first == std::int64_t(*fault.truncateAfter);
        });
        CPPUNIT_ASSERT_MESSAGE(describe(storage), resumed != storage.end());
        CPPUNIT_ASSERT(resumed->path == expired->path && resumed->query != expired->query);
        for (const auto& entry : storage)
            CPPUNIT_ASSERT(!entry.authorization);
    }

    // 6. After a stop the server ignores the Range: the 200 is detected and the file is
    //    written again from zero, never appended to the old bytes.
    void ignoredRangeRestartsCleanly()
    {
        _bench->start();
        civitai().setFault("main", DownloadBench::throttle(64 * 1024));
        const std::string id = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        stopWhileRunning(id, 32 * 1024);
        Fault ignore;
        ignore.ignoreRange = true;
        civitai().setFault("main", ignore);
        resumeAfterRestart(id);
        const auto storage = _bench->gets(civitai(), "storage");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(storage), std::size_t(1), storage.size());
        CPPUNIT_ASSERT(rangeOf(storage[0]).first > 0);
        CPPUNIT_ASSERT_EQUAL(200, storage[0].status);
        CPPUNIT_ASSERT_EQUAL(ModelSourceIds::fileSize, storage[0].bytesSent);
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"), _bench->listing());
    }

    // 7. A flipped byte: the job fails naming both hashes; neither the file nor its part stays.
    void corruptionFailsWithBothHashesAndLeavesNothing()
    {
        _bench->start();
        Fault corrupt;
        corrupt.corruptAt = 1000;
        civitai().setFault("main", corrupt);
        const std::string error =
            _bench->waitFailed(_bench->queue(R"({"source":"civitai","model_version_id":"1001"})"));
        std::smatch got;
        CPPUNIT_ASSERT_MESSAGE(error, contains(error, "SHA-256 mismatch for juggernaut_v9.safetensors: expected " +
                                                          civitai().sha256("main") + ", got "));
        CPPUNIT_ASSERT_MESSAGE(error, std::regex_search(error, got, std::regex("got ([0-9a-f]{64})")));
        CPPUNIT_ASSERT(got[1] != civitai().sha256("main"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), _bench->listing());
    }

    // 8. 503 with Retry-After and Hugging Face's 429 with `RateLimit: …;t=N` are retried after
    //    that wait, 500 after the capped backoff; a 404 from storage is not retried.
    void backoffHonoursRetryAfterButNotOther4xx()
    {
        _bench->start({{"downloads.retry_max_ms", "5000"}});
        Fault busy;
        busy.failFirstN = 1;
        busy.failStatus = 503;
        busy.retryAfter = 1;
        civitai().setFault("civitai.storage", busy);
        const auto started = std::chrono::steady_clock::now();
        _bench->waitCompleted(_bench->queue(R"({"source":"civitai","model_version_id":"1001"})"));
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(950));
        auto storage = _bench->gets(civitai(), "storage");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(storage), std::size_t(2), storage.size());
        CPPUNIT_ASSERT_EQUAL(503, storage[0].status);
        CPPUNIT_ASSERT_EQUAL(200, storage[1].status);

        civitai().clearLog();
        Fault flaky;
        flaky.failFirstN = 2;
        flaky.failStatus = 500;
        civitai().setFault("civitai.storage", flaky);
        _bench->waitCompleted(
            _bench->queue(R"({"source":"civitai","model_version_id":"1002","type":"VAE","folder_type":"vae"})"));
        storage = _bench->gets(civitai(), "storage");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(storage), std::size_t(3), storage.size());
        CPPUNIT_ASSERT(storage[0].status == 500 && storage[1].status == 500 && storage[2].status == 200);

        Fault limited;
        limited.failFirstN = 1;
        limited.failStatus = 429;
        limited.ratelimitReset = 1;
        hf().setFault("hf.resolve", limited);
        const auto hfStarted = std::chrono::steady_clock::now();
        _bench->waitCompleted(_bench->queue(
            R"({"source":"huggingface","repo_id":"org/flux","filename":"unet/flux_unet.safetensors","folder_type":"unet"})"));
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - hfStarted >= std::chrono::milliseconds(950));
        const auto resolves = hf().log([](const LogEntry& e) { return e.listener == "api"; });
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(resolves), 429, resolves.front().status);

        civitai().clearLog();
        Fault gone;
        gone.failFirstN = 5;
        gone.failStatus = 404;
        civitai().setFault("civitai.storage", gone);
        const std::string error = _bench->waitFailed(
            _bench->queue(R"({"source":"civitai","model_version_id":"1002","size":"full","fp":"fp32"})"));
        CPPUNIT_ASSERT_MESSAGE(error, contains(error, "HTTP 404"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(civitai().log()), std::size_t(1), _bench->storageGets());
    }

    // 9. Hugging Face: metadata from the HEAD, bytes from the pinned commit; gated 401 and 403
    //    told apart; a renamed repository followed.
    void huggingFacePinsTheCommitTellsGatesApartFollowsRenames()
    {
        _bench->start();
        _bench->waitCompleted(_bench->queue(
            R"({"source":"huggingface","repo_id":"org/flux","filename":"unet/flux_unet.safetensors","folder_type":"unet"})"));
        const std::string commit = comfygate::fakes::FakeHuggingFace::commitSha("main");
        const auto api = hf().log([](const LogEntry& e) { return e.listener == "api"; });
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(api), std::size_t(2), api.size());
        CPPUNIT_ASSERT_EQUAL(std::string("HEAD /org/flux/resolve/main/unet/flux_unet.safetensors 302"),
                             api[0].method + " " + api[0].path + " " + std::to_string(api[0].status));
        CPPUNIT_ASSERT_EQUAL("GET /org/flux/resolve/" + commit + "/unet/flux_unet.safetensors 302",
                             api[1].method + " " + api[1].path + " " + std::to_string(api[1].status));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _bench->gets(hf(), "cdn").size());

        // A small regular file comes straight from the Hub (200), verified by its git SHA-1.
        const auto small = _bench->waitCompleted(_bench->queue(
            R"({"source":"huggingface","repo_id":"org/flux","filename":"config.json","folder_type":"vae"})"));
        CPPUNIT_ASSERT_EQUAL(hf().sha256("small"), small->getValue<std::string>("sha256"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), hf().log([&](const LogEntry& e) {
                                                     return e.method == "GET" && e.status == 200 &&
                                                            e.path == "/org/flux/resolve/" + commit + "/config.json";
                                                 })
                                                 .size());

        const std::string gated =
            R"({"source":"huggingface","repo_id":"org/gated","filename":"unet/flux_unet.safetensors","folder_type":"clip"})";
        const std::string anonymous = _bench->waitFailed(_bench->queue(gated));
        CPPUNIT_ASSERT_MESSAGE(anonymous, contains(anonymous, "gated repository: request access at "));
        CPPUNIT_ASSERT_MESSAGE(anonymous, contains(anonymous, "/org/gated"));
        _bench->storeKey("huggingface", "tok-nogate");
        const std::string noGrant = _bench->waitFailed(_bench->queue(gated));
        CPPUNIT_ASSERT_MESSAGE(noGrant,
                               contains(noGrant, "gated repository: your Hugging Face token has no access yet"));
        _bench->storeKey("huggingface", "tok-gate");
        _bench->waitCompleted(_bench->queue(gated));

        hf().clearLog();
        const auto renamed = _bench->waitCompleted(_bench->queue(
            R"({"source":"huggingface","repo_id":"oldorg/flux","filename":"unet/flux_unet.safetensors","folder_type":"diffusion_models"})"));
        CPPUNIT_ASSERT_EQUAL(hf().sha256("lfs"), renamed->getValue<std::string>("sha256"));
        const auto moved = hf().log([](const LogEntry& e) { return e.status == 307; });
        CPPUNIT_ASSERT_MESSAGE(describe(hf().log()), !moved.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("/oldorg/flux/resolve/main/unet/flux_unet.safetensors"), moved[0].path);
        CPPUNIT_ASSERT(!hf().log([&](const LogEntry& e) {
                                return e.method == "GET" &&
                                       e.path == "/neworg/flux/resolve/" + commit + "/unet/flux_unet.safetensors";
                            })
                            .empty());
    }

    // 10. The same bytes from another source into the same folder: no storage or CDN GET.
    void dedupeAcrossSourcesCostsNoStorageGet()
    {
        // The Hugging Face file is made of the very bytes of CivitAI's "main".
        hf().addFile(FileSpec{"lfs", "flux_unet.safetensors", ModelSourceIds::fileSize, 7, ContentKind::Prng});
        CPPUNIT_ASSERT_EQUAL(civitai().sha256("main"), hf().sha256("lfs"));
        _bench->start();
        _bench->waitCompleted(_bench->queue(R"({"source":"civitai","model_version_id":"1001"})"));
        const auto job = _bench->waitCompleted(_bench->queue(
            R"({"source":"huggingface","repo_id":"org/flux","filename":"unet/flux_unet.safetensors","folder_type":"checkpoints"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"),
                             job->getValue<std::string>("destination"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(hf().log()), std::size_t(0), _bench->gets(hf(), "cdn").size());
        CPPUNIT_ASSERT(hf().log([](const LogEntry& e) { return e.method == "GET"; }).empty()); // a HEAD only
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"), _bench->listing());
    }

    // 11. Four workers with distinct Ranges reassemble the file; progress grows while the
    //     throttled transfer runs; a stall is cut off and that piece resumed.
    void parallelRangesReassembleWithProgressAndStallRecovery()
    {
        civitai().addFile(FileSpec{"main", "juggernaut_v9.safetensors", bigSize, 7, ContentKind::Prng});
        _bench->start(with(parallel, {{"downloads.stall_seconds", "1"}}));
        Fault fault = DownloadBench::throttle(MiB / 2); // 2 s a piece
        // Early in the last piece: libcurl averages the speed over a few seconds, so only a
        // small burst before the stall lets the 1 s stall timeout see it soon.
        fault.stallAfter = 3 * MiB + 512;
        fault.stallMs = 6000;
        civitai().setFault("main", fault);
        const std::string id = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        std::vector<std::int64_t> seen;
        const auto job = _bench->server->waitForJob(_bench->ada, id, [&](const Poco::JSON::Object::Ptr& j) {
            const auto done = j->getValue<Poco::Int64>("bytes_done");
            if (j->getValue<std::string>("status") == "running" && (seen.empty() || seen.back() != done))
                seen.push_back(done);
            return DownloadBench::finished(j);
        });
        CPPUNIT_ASSERT_EQUAL_MESSAGE(job->optValue<std::string>("error", ""), std::string("completed"),
                                     job->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(civitai().sha256("main"), job->getValue<std::string>("sha256"));
        CPPUNIT_ASSERT_EQUAL(civitai().content("main"),
                             comfygate::test::ModelSources::read(_bench->server->modelsDir() +
                                                                 "/checkpoints/juggernaut_v9.safetensors"));
        CPPUNIT_ASSERT_MESSAGE(std::to_string(seen.size()), seen.size() >= 3);
        CPPUNIT_ASSERT(std::is_sorted(seen.begin(), seen.end()));

        const auto storage = _bench->gets(civitai(), "storage");
        std::set<std::int64_t> starts;
        for (const auto& entry : storage) {
            CPPUNIT_ASSERT(!entry.authorization);
            const auto [first, last] = rangeOf(entry);
            CPPUNIT_ASSERT_MESSAGE(entry.toJsonLine(), first >= 0 && last >= first); // every request is bounded
            if (last > 0)
                starts.insert(first);
        }
        CPPUNIT_ASSERT_EQUAL(std::string("bytes=0-0"), storage.front().range); // the probe
        for (const std::int64_t piece : {0ll, 1ll, 2ll, 3ll})
            CPPUNIT_ASSERT_MESSAGE(describe(storage), starts.count(piece * std::int64_t(MiB)));
        // The stalled piece was cut off and continued from where its bytes stopped.
        const auto resumed = std::find_if(starts.begin(), starts.end(), [](std::int64_t s) {
            return s > std::int64_t(3 * MiB) && s <= std::int64_t(3 * MiB + 512);
        });
        CPPUNIT_ASSERT_MESSAGE(describe(storage), resumed != starts.end());
    }

    // 12. Two jobs for one target while transferring in parallel: one probe, every piece once.
    void twoJobsShareOneParallelTransfer()
    {
        civitai().addFile(FileSpec{"main", "juggernaut_v9.safetensors", bigSize, 7, ContentKind::Prng});
        _bench->start(parallel);
        civitai().setFault("main", DownloadBench::throttle(2 * MiB));
        const std::string first = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        const std::string second = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        for (const auto& id : {first, second}) {
            const auto job = _bench->waitCompleted(id);
            CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"),
                                 job->getValue<std::string>("destination"));
        }
        const auto storage = _bench->gets(civitai(), "storage");
        std::multiset<std::string> ranges;
        for (const auto& entry : storage)
            ranges.insert(entry.range);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(storage), std::size_t(5), storage.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), std::set<std::string>(ranges.begin(), ranges.end()).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), ranges.count("bytes=0-0"));
        CPPUNIT_ASSERT_EQUAL(civitai().content("main"),
                             comfygate::test::ModelSources::read(_bench->server->modelsDir() +
                                                                 "/checkpoints/juggernaut_v9.safetensors"));
    }

    // A clean stop (SIGTERM) pauses the transfer: the .part and its state stay, the job goes
    // back to the queue, and after the restart it asks only for the rest.
    void cleanStopPausesAndRestartResumesWithRange()
    {
        _bench->start();
        civitai().setFault("main", DownloadBench::throttle(64 * 1024));
        const std::string id = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        stopWhileRunning(id, 64 * 1024);
        const fs::path part = fs::path(_bench->server->modelsDir()) / "checkpoints/juggernaut_v9.safetensors.part";
        const auto kept = static_cast<std::int64_t>(fs::file_size(part));
        CPPUNIT_ASSERT(kept >= 64 * 1024);
        CPPUNIT_ASSERT(fs::exists(part.string() + ".json"));
        civitai().clearFaults();
        resumeAfterRestart(id);
        const auto storage = _bench->gets(civitai(), "storage");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(storage), std::size_t(1), storage.size());
        CPPUNIT_ASSERT_EQUAL("bytes=" + std::to_string(kept) + "-", storage[0].range);
        CPPUNIT_ASSERT_EQUAL(206, storage[0].status);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(ModelSourceIds::fileSize) - kept, std::int64_t(storage[0].bytesSent));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/juggernaut_v9.safetensors"), _bench->listing());
    }

    void cleanStopOfAParallelTransferFetchesOnlyTheMissingRanges()
    {
        civitai().addFile(FileSpec{"main", "juggernaut_v9.safetensors", bigSize, 7, ContentKind::Prng});
        _bench->start(parallel);
        civitai().setFault("main", DownloadBench::throttle(512 * 1024));
        const std::string id = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        stopWhileRunning(id, 1 * MiB);
        const std::string state = comfygate::test::ModelSources::read(
            _bench->server->modelsDir() + "/checkpoints/juggernaut_v9.safetensors.part.json");
        CPPUNIT_ASSERT_MESSAGE(state, contains(state, "\"ranges\":[["));
        civitai().clearFaults();
        resumeAfterRestart(id);
        std::uint64_t fetched = 0;
        for (const auto& entry : _bench->gets(civitai(), "storage")) {
            CPPUNIT_ASSERT_MESSAGE(entry.toJsonLine(), entry.status == 206);
            fetched += entry.range == "bytes=0-0" ? 0 : entry.bytesSent;
        }
        CPPUNIT_ASSERT_MESSAGE(std::to_string(fetched), fetched <= bigSize - MiB);
    }

private:
    comfygate::fakes::FakeCivitai& civitai() { return _bench->sources->civitai; }
    comfygate::fakes::FakeHuggingFace& hf() { return _bench->sources->hf; }

    /// Waits until the running job reports `bytes` done, then stops the server with SIGTERM.
    void stopWhileRunning(const std::string& id, std::int64_t bytes)
    {
        const auto job = _bench->server->waitForJob(_bench->ada, id, [&](const Poco::JSON::Object::Ptr& j) {
            return j->getValue<Poco::Int64>("bytes_done") >= bytes || DownloadBench::finished(j);
        });
        CPPUNIT_ASSERT_EQUAL(std::string("running"), job->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(0, _bench->server->process().stop());
    }

    void restart()
    {
        _bench->server->start();
        _bench->ada = _bench->server->login("ada");
    }

    /// Restarts the server with a clean source log and waits until job `id` completed with the
    /// right file; the log then holds only what the resumed transfer fetched.
    void resumeAfterRestart(const std::string& id)
    {
        civitai().clearLog();
        restart();
        const auto job = _bench->waitCompleted(id);
        CPPUNIT_ASSERT_EQUAL(civitai().sha256("main"), job->getValue<std::string>("sha256"));
    }

    std::unique_ptr<DownloadBench> _bench;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DownloadScenariosTest);
