// FileTransfer against the fake CivitAI and Hugging Face over real HTTP: reference §5.4
// scenarios 1, 3 (HTML trap), 5, 6, 7, 8 and 9 for one file, plus restart, stall, cancel and
// the confinement of names and addresses.
#include "FileDigest.h"
#include "ModelSources.h"
#include "TempDir.h"
#include "TransferState.h"

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

using namespace comfygate::test;
using comfygate::modeldownload::FileTransfer;
using comfygate::modeldownload::ResolvedFile;
using comfygate::modeldownload::TransferCancelled;
using comfygate::modeldownload::TransferFailed;
using comfygate::modeldownload::TransferPaused;
using comfygate::modeldownload::TransferProgress;
using comfygate::modeldownload::TransferState;

namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

std::size_t filesIn(const std::string& directory)
{
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(directory), fs::directory_iterator()));
}

void writeFile(const fs::path& path, const std::string& content)
{
    std::ofstream out(path, std::ios::binary);
    out << content;
}

/// The CivitAI test model, resolved through the API route (which answers with a signed link).
ResolvedFile civitaiFile(ModelSources& sources)
{
    return sources.civitaiResolver().resolve(ModelSources::civitaiRequest(ModelSourceIds::version));
}

/// Leaves in `dir` what an interrupted transfer leaves: `bytes` in the part file of `fileName`
/// and a state that describes `described`.
void leavePartial(const TempDir& dir, const std::string& fileName, const std::string& bytes,
                  const ResolvedFile& described)
{
    writeFile(FileTransfer::partPath(dir.path(), fileName), bytes);
    TransferState::describing(described).save(FileTransfer::statePath(dir.path(), fileName));
}

template <typename Run> std::string failure(Run run)
{
    try {
        run();
    } catch (const TransferFailed& failed) {
        return failed.what();
    }
    CPPUNIT_FAIL("the transfer did not fail");
    return {};
}

constexpr std::uint64_t fortyPercent = ModelSourceIds::fileSize * 2 / 5;

} // namespace

class FileTransferTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(FileTransferTest);
    CPPUNIT_TEST(testCivitaiHappyPath);
    CPPUNIT_TEST(testBrowserUserAgentHtmlTrapRefused);
    CPPUNIT_TEST(testResumeAfterDropAt40Percent);
    CPPUNIT_TEST(testPartialFileKeptAndResumedAfterRestart);
    CPPUNIT_TEST(testExpiredLinkReResolvedFromTheSameOffset);
    CPPUNIT_TEST(testIgnoredRangeRestartsCleanly);
    CPPUNIT_TEST(testCompletePartialFileVerifiedAfter416);
    CPPUNIT_TEST(testStalePartialFileStartsOver);
    CPPUNIT_TEST(testCorruptionRemovesThePartialFile);
    CPPUNIT_TEST(testRetryAfterHonoured);
    CPPUNIT_TEST(testServerErrorsRetriedThenGivenUp);
    CPPUNIT_TEST(testOther4xxNotRetried);
    CPPUNIT_TEST(testStallDetectedAndResumed);
    CPPUNIT_TEST(testCancelRemovesThePartialFile);
    CPPUNIT_TEST(testHuggingFaceLfsThroughTheCdn);
    CPPUNIT_TEST(testHuggingFaceSmallFileVerifiedByGitSha1);
    CPPUNIT_TEST(testNamesConfinedToTheFolder);
    CPPUNIT_TEST(testExistingFileNeverReplaced);
    CPPUNIT_TEST(testPublishingTheSameFileTwiceSucceeds);
    CPPUNIT_TEST(testPrivateAddressesRefusedByDefault);
    CPPUNIT_TEST(testParallelResumeFetchesOnlyTheHoles);
    CPPUNIT_TEST(testParallelFallsBackWhenRangesAreIgnored);
    CPPUNIT_TEST(testPauseKeepsThePartialFile);
    CPPUNIT_TEST_SUITE_END();

public:
    void testCivitaiHappyPath()
    {
        ModelSources sources;
        TempDir dir;
        const ResolvedFile file =
            sources.civitaiResolver().resolve(ModelSources::civitaiRequest(ModelSourceIds::version, "tok-ok"));
        sources.clearLogs();
        std::vector<TransferProgress> progress;
        FileTransfer::Hooks hooks;
        hooks.progress = [&](const TransferProgress& p) { progress.push_back(p); };
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        const FileTransfer::Result result = transfer.transfer(file, dir.path(), file.fileName, hooks);

        CPPUNIT_ASSERT_EQUAL(fs::path(dir.path()) / "juggernaut_v9.safetensors", result.path);
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("main"), result.sha256);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(ModelSourceIds::fileSize), result.size);
        CPPUNIT_ASSERT(ModelSources::read(result.path) == sources.civitai.content("main"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), filesIn(dir.path())); // no .part, no .part.json
        CPPUNIT_ASSERT(!progress.empty());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(ModelSourceIds::fileSize), progress.back().bytesDone);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(ModelSourceIds::fileSize), progress.back().totalBytes);

        // The key reached the API host only; storage saw no Authorization and a non-browser UA.
        const auto api = sources.civitaiLog("api");
        const auto storage = sources.civitaiLog("storage");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), api.size());
        CPPUNIT_ASSERT(api[0].authorization);
        CPPUNIT_ASSERT_EQUAL(307, api[0].status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), storage.size());
        CPPUNIT_ASSERT(!storage[0].authorization);
        CPPUNIT_ASSERT(!storage[0].tokenInQuery);
        CPPUNIT_ASSERT_EQUAL(200, storage[0].status);
        CPPUNIT_ASSERT_EQUAL(std::string("comfygate-downloader/1"), storage[0].userAgent);
    }

    void testBrowserUserAgentHtmlTrapRefused()
    {
        ModelSources sources;
        TempDir dir;
        sources.civitai.setFault("civitai.download", fakes::Fault{.htmlForBrowserUa = true});
        const ResolvedFile file = civitaiFile(sources);
        auto settings = ModelSources::transferSettings();
        settings.userAgent = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120";
        FileTransfer transfer(sources.http, settings);
        const std::string why = failure([&] { transfer.run(file, dir.path(), file.fileName, {}); });
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "HTML page instead of"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), filesIn(dir.path())); // the login page was not kept

        FileTransfer honest(sources.http, ModelSources::transferSettings()); // our own UA gets the file
        CPPUNIT_ASSERT(fs::exists(honest.run(file, dir.path(), file.fileName, {})));
    }

    void testResumeAfterDropAt40Percent()
    {
        ModelSources sources;
        TempDir dir;
        sources.civitai.setFault("main", fakes::Fault{.truncateAfter = fortyPercent});
        const ResolvedFile file = civitaiFile(sources);
        sources.clearLogs();
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        const auto result = transfer.transfer(file, dir.path(), file.fileName, {});
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("main"), result.sha256);

        const auto storage = sources.civitaiLog("storage");
        CPPUNIT_ASSERT(storage.size() >= 2);
        CPPUNIT_ASSERT_EQUAL(std::string(), storage[0].range);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(fortyPercent), storage[0].bytesSent);
        CPPUNIT_ASSERT_EQUAL("bytes=" + std::to_string(fortyPercent) + "-", storage[1].range);
        CPPUNIT_ASSERT_EQUAL("\"" + sources.civitai.hashes("main").md5Like + "\"", storage[1].ifRange);
        CPPUNIT_ASSERT_EQUAL(206, storage[1].status);
        // Every resume went through the download route again for a fresh signed link.
        CPPUNIT_ASSERT_EQUAL(storage.size(), sources.civitaiLog("api").size());
    }

    void testPartialFileKeptAndResumedAfterRestart()
    {
        ModelSources sources;
        TempDir dir;
        sources.civitai.setFault("main", fakes::Fault{.truncateAfter = fortyPercent});
        const ResolvedFile file = civitaiFile(sources);
        auto once = ModelSources::transferSettings();
        once.maxAttempts = 1;
        FileTransfer impatient(sources.http, once);
        const std::string why = failure([&] { impatient.run(file, dir.path(), file.fileName, {}); });
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "juggernaut_v9.safetensors"));
        // A failed transfer has ended its job: nothing of it stays in the folder.
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), filesIn(dir.path()));

        // What a crashed process leaves (the part and its state) is continued by the next one.
        leavePartial(dir, file.fileName, sources.civitai.content("main").substr(0, fortyPercent), file);
        sources.civitai.clearFaults();
        sources.clearLogs();
        FileTransfer restarted(sources.http, ModelSources::transferSettings());
        const auto result = restarted.transfer(file, dir.path(), file.fileName, {});
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("main"), result.sha256); // prefix re-hashed
        const auto storage = sources.civitaiLog("storage");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), storage.size());
        CPPUNIT_ASSERT_EQUAL("bytes=" + std::to_string(fortyPercent) + "-", storage[0].range);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(ModelSourceIds::fileSize - fortyPercent), storage[0].bytesSent);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), filesIn(dir.path()));
    }

    void testExpiredLinkReResolvedFromTheSameOffset()
    {
        ModelSources sources;
        TempDir dir;
        auto resolver = sources.civitaiResolver();
        const ResolvedFile viaRoute = resolver.resolve(ModelSources::civitaiRequest(ModelSourceIds::version));
        // A transfer handed the signed storage link itself (as a resolver that follows the
        // route would): it expires, and the transfer must ask for a fresh one.
        const auto probe = sources.civitai.log([](const auto& e) { return e.status == 307; });
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), probe.size());
        ResolvedFile signedLink = viaRoute;
        signedLink.downloadUrl = probe[0].location;
        leavePartial(dir, viaRoute.fileName, sources.civitai.content("main").substr(0, fortyPercent), viaRoute);

        sources.civitai.setFault("civitai.storage", fakes::Fault{.expireAfterS = 0.2});
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        sources.clearLogs();

        int reResolved = 0;
        FileTransfer::Hooks hooks;
        hooks.reResolve = [&] {
            ++reResolved;
            return resolver.resolve(ModelSources::civitaiRequest(ModelSourceIds::version));
        };
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        const auto result = transfer.transfer(signedLink, dir.path(), viaRoute.fileName, hooks);
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("main"), result.sha256);
        CPPUNIT_ASSERT_EQUAL(1, reResolved);
        const auto storage = sources.civitaiLog("storage");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), storage.size());
        CPPUNIT_ASSERT_EQUAL(403, storage[0].status);
        CPPUNIT_ASSERT_EQUAL(206, storage[1].status);
        CPPUNIT_ASSERT_EQUAL("bytes=" + std::to_string(fortyPercent) + "-", storage[1].range);
    }

    void testIgnoredRangeRestartsCleanly()
    {
        ModelSources sources;
        TempDir dir;
        const ResolvedFile file = civitaiFile(sources);
        leavePartial(dir, file.fileName, sources.civitai.content("main").substr(0, fortyPercent), file);
        sources.civitai.setFault("main", fakes::Fault{.ignoreRange = true});
        sources.clearLogs();

        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        const auto result = transfer.transfer(file, dir.path(), file.fileName, {});
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("main"), result.sha256);
        CPPUNIT_ASSERT_EQUAL(std::uintmax_t(ModelSourceIds::fileSize), fs::file_size(result.path));
        const auto storage = sources.civitaiLog("storage");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), storage.size());
        CPPUNIT_ASSERT(!storage[0].range.empty());
        CPPUNIT_ASSERT_EQUAL(200, storage[0].status);
    }

    void testCompletePartialFileVerifiedAfter416()
    {
        ModelSources sources;
        TempDir dir;
        const ResolvedFile file = civitaiFile(sources);
        leavePartial(dir, file.fileName, sources.civitai.content("main"), file);
        sources.clearLogs();

        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        const auto result = transfer.transfer(file, dir.path(), file.fileName, {});
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("main"), result.sha256);
        const auto storage = sources.civitaiLog("storage");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), storage.size());
        CPPUNIT_ASSERT_EQUAL(416, storage[0].status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), filesIn(dir.path()));
    }

    void testStalePartialFileStartsOver()
    {
        ModelSources sources;
        TempDir dir;
        const ResolvedFile file = civitaiFile(sources);
        ResolvedFile other = file;
        other.sha256 = std::string(64, '0'); // the state describes another file
        leavePartial(dir, file.fileName, std::string(fortyPercent, 'x'), other);
        sources.clearLogs();

        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("main"),
                             transfer.transfer(file, dir.path(), file.fileName, {}).sha256);
        CPPUNIT_ASSERT_EQUAL(std::string(), sources.civitaiLog("storage").at(0).range);
    }

    void testCorruptionRemovesThePartialFile()
    {
        ModelSources sources;
        TempDir dir;
        sources.civitai.setFault("main", fakes::Fault{.corruptAt = 1000});
        const ResolvedFile file = civitaiFile(sources);
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        const std::string why = failure([&] { transfer.run(file, dir.path(), file.fileName, {}); });
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "SHA-256 mismatch"));
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "expected " + sources.civitai.sha256("main") + ", got "));
        std::string flipped = sources.civitai.content("main");
        flipped[1000] = static_cast<char>(flipped[1000] ^ 0xFF);
        comfygate::modeldownload::FileDigest digest;
        digest.update(flipped.data(), flipped.size());
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, digest.sha256Hex()));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), filesIn(dir.path())); // never renamed into place, part removed
    }

    void testRetryAfterHonoured()
    {
        ModelSources sources;
        TempDir dir;
        const ResolvedFile file = civitaiFile(sources);
        sources.civitai.setFault("civitai.storage", fakes::Fault{.failFirstN = 1, .failStatus = 429, .retryAfter = 1});
        sources.clearLogs();
        const auto started = std::chrono::steady_clock::now();
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        transfer.run(file, dir.path(), file.fileName, {});
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(900));
        const auto storage = sources.civitaiLog("storage");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), storage.size());
        CPPUNIT_ASSERT_EQUAL(429, storage[0].status);
    }

    void testServerErrorsRetriedThenGivenUp()
    {
        ModelSources sources;
        TempDir dir;
        const ResolvedFile file = civitaiFile(sources);
        sources.civitai.setFault("civitai.storage", fakes::Fault{.failFirstN = 2, .failStatus = 500});
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("main"),
                             transfer.transfer(file, dir.path(), file.fileName, {}).sha256);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), sources.civitaiLog("storage").size());

        fs::remove(fs::path(dir.path()) / file.fileName);
        sources.civitai.setFault("civitai.storage", fakes::Fault{.failFirstN = 50, .failStatus = 502});
        sources.clearLogs();
        const std::string why = failure([&] { transfer.run(file, dir.path(), file.fileName, {}); });
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "HTTP 502"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), sources.civitaiLog("storage").size()); // maxAttempts, not more
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), filesIn(dir.path())); // a failed job leaves no .part
    }

    void testOther4xxNotRetried()
    {
        ModelSources sources;
        TempDir dir;
        const ResolvedFile file = civitaiFile(sources);
        sources.civitai.setFault("civitai.storage", fakes::Fault{.failFirstN = 5, .failStatus = 404});
        sources.clearLogs();
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        const std::string why = failure([&] { transfer.run(file, dir.path(), file.fileName, {}); });
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "HTTP 404"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sources.civitaiLog("storage").size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), filesIn(dir.path()));
    }

    void testStallDetectedAndResumed()
    {
        ModelSources sources;
        TempDir dir;
        // libcurl averages the speed over its last few seconds: a small burst before the
        // stall keeps that average below stallBytesPerSecond soon enough.
        constexpr std::uint64_t stallAt = 512;
        sources.civitai.setFault("main", fakes::Fault{.stallAfter = stallAt, .stallMs = 6000});
        const ResolvedFile file = civitaiFile(sources);
        sources.clearLogs();
        std::thread unstall([&] { // once the first answer has begun, the next ones do not stall
            while (sources.civitaiLog("storage").empty())
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            sources.civitai.clearFaults();
        });
        const auto started = std::chrono::steady_clock::now();
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        const auto result = transfer.transfer(file, dir.path(), file.fileName, {});
        unstall.join();
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("main"), result.sha256);
        // Given up after the 1 s stall timeout (and curl's averaging), long before the 6 s stall ends.
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(5000));
        const auto storage = sources.civitaiLog("storage");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), storage.size());
        CPPUNIT_ASSERT_EQUAL("bytes=" + std::to_string(stallAt) + "-", storage[1].range);
    }

    void testCancelRemovesThePartialFile()
    {
        ModelSources sources;
        TempDir dir;
        sources.civitai.setFault("main", fakes::Fault{.throttleBps = 64 * 1024});
        const ResolvedFile file = civitaiFile(sources);
        std::atomic<bool> cancel{false};
        FileTransfer::Hooks hooks;
        hooks.progress = [&](const TransferProgress& p) {
            if (p.bytesDone > 0)
                cancel = true;
        };
        hooks.cancelled = [&] { return cancel.load(); };
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        const auto started = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT_THROW(transfer.run(file, dir.path(), file.fileName, hooks), TransferCancelled);
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started < std::chrono::seconds(3)); // not the whole 4 s
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), filesIn(dir.path()));
    }

    void testHuggingFaceLfsThroughTheCdn()
    {
        ModelSources sources;
        TempDir dir;
        sources.hf.setCdnRejectsAuthorization(true);
        const ResolvedFile file = sources.hfResolver().resolve(
            ModelSources::hfRequest("org/gated", "unet/flux_unet.safetensors", "tok-gate"));
        sources.clearLogs();
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        const auto result = transfer.transfer(file, dir.path(), file.fileName, {});
        CPPUNIT_ASSERT_EQUAL(sources.hf.sha256("lfs"), result.sha256);
        const auto api = sources.hfLog("api");
        const auto cdn = sources.hfLog("cdn");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), api.size());
        CPPUNIT_ASSERT(api[0].authorization);
        CPPUNIT_ASSERT(contains(api[0].path, "/resolve/" + fakes::FakeHuggingFace::commitSha("main") + "/"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), cdn.size());
        CPPUNIT_ASSERT(!cdn[0].authorization);
        CPPUNIT_ASSERT_EQUAL(200, cdn[0].status);
    }

    void testHuggingFaceSmallFileVerifiedByGitSha1()
    {
        ModelSources sources;
        TempDir dir;
        const ResolvedFile file = sources.hfResolver().resolve(ModelSources::hfRequest("org/flux", "config.json"));
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        const auto result = transfer.transfer(file, dir.path(), "flux-config.json", {});
        CPPUNIT_ASSERT(ModelSources::read(result.path) == sources.hf.content("small"));
        CPPUNIT_ASSERT_EQUAL(sources.hf.sha256("small"), result.sha256); // computed, for deduplication

        ResolvedFile wrong = file;
        wrong.gitBlobSha1 = std::string(40, '0');
        const std::string why = failure([&] { transfer.run(wrong, dir.path(), "other.json", {}); });
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "git SHA-1 mismatch"));
        CPPUNIT_ASSERT(!fs::exists(fs::path(dir.path()) / "other.json"));

        // Without the size up front the git SHA-1 is computed after the last byte instead.
        ResolvedFile unsized = file;
        unsized.size = -1;
        CPPUNIT_ASSERT(fs::exists(transfer.run(unsized, dir.path(), "unsized.json", {})));
        unsized.gitBlobSha1 = std::string(40, '0');
        const std::string unsizedWhy = failure([&] { transfer.run(unsized, dir.path(), "unsized-wrong.json", {}); });
        CPPUNIT_ASSERT_MESSAGE(unsizedWhy, contains(unsizedWhy, "git SHA-1 mismatch"));
    }

    void testNamesConfinedToTheFolder()
    {
        ModelSources sources;
        TempDir dir;
        const fs::path folder = fs::path(dir.path()) / "checkpoints";
        const ResolvedFile file = civitaiFile(sources);
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        for (const std::string& name :
             std::vector<std::string>{"../escape.safetensors", "/tmp/abs.safetensors", "a/b.safetensors", "..",
                                      std::string("nul\0.safetensors", 16), "bell\a.safetensors", ".hidden"}) {
            const std::string why = failure([&] { transfer.run(file, folder, name, {}); });
            CPPUNIT_ASSERT_MESSAGE(why, contains(why, "refused file name"));
        }
        CPPUNIT_ASSERT(!fs::exists(fs::path(dir.path()) / "escape.safetensors"));
        CPPUNIT_ASSERT(sources.civitaiLog("storage").empty());
        CPPUNIT_ASSERT(fs::exists(transfer.run(file, folder, "mine.safetensors", {})));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), filesIn(dir.path())); // only the folder itself
    }

    void testExistingFileNeverReplaced()
    {
        ModelSources sources;
        TempDir dir;
        const ResolvedFile file = civitaiFile(sources);
        dir.write(file.fileName, "someone else's model");
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        const std::string why = failure([&] { transfer.run(file, dir.path(), file.fileName, {}); });
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "already exists"));
        CPPUNIT_ASSERT_EQUAL(std::string("someone else's model"), ModelSources::read(dir.file(file.fileName)));
    }

    void testPublishingTheSameFileTwiceSucceeds()
    {
        ModelSources sources;
        TempDir dir;
        const ResolvedFile file = civitaiFile(sources);
        sources.civitai.setFault("main", fakes::Fault{.throttleBps = 256 * 1024});
        // While the transfer runs, an earlier run of the job publishes the very same bytes.
        FileTransfer::Hooks hooks;
        bool published = false;
        hooks.progress = [&](const TransferProgress&) {
            if (!published)
                writeFile(fs::path(dir.path()) / file.fileName, sources.civitai.content("main"));
            published = true;
        };
        FileTransfer transfer(sources.http, ModelSources::transferSettings());
        const auto result = transfer.transfer(file, dir.path(), file.fileName, hooks);
        CPPUNIT_ASSERT(published);
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("main"), result.sha256);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), filesIn(dir.path())); // the final file only

        // Different bytes under that name are never taken for the download.
        fs::remove(fs::path(dir.path()) / file.fileName);
        published = false;
        hooks.progress = [&](const TransferProgress&) {
            if (!published)
                writeFile(fs::path(dir.path()) / file.fileName, "someone else's model");
            published = true;
        };
        const std::string why = failure([&] { transfer.run(file, dir.path(), file.fileName, hooks); });
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "already exists"));
        CPPUNIT_ASSERT_EQUAL(std::string("someone else's model"), ModelSources::read(dir.file(file.fileName)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), filesIn(dir.path()));
    }

    void testPrivateAddressesRefusedByDefault()
    {
        ModelSources sources;
        TempDir dir;
        const ResolvedFile file = civitaiFile(sources);
        auto strict = ModelSources::transferSettings();
        strict.allowPrivateAddresses = false;
        FileTransfer transfer(sources.http, strict);
        const std::string why = failure([&] { transfer.run(file, dir.path(), file.fileName, {}); });
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "https"));
        ResolvedFile secure = file;
        secure.downloadUrl = "https://127.0.0.1:" + std::to_string(sources.civitai.apiPort()) + "/x";
        const std::string loopback = failure([&] { transfer.run(secure, dir.path(), file.fileName, {}); });
        CPPUNIT_ASSERT_MESSAGE(loopback, contains(loopback, "non-public address"));
        // Refused before connecting: the only download-route request is the resolver's probe.
        CPPUNIT_ASSERT_EQUAL(
            std::size_t(1),
            sources.civitai.log([](const auto& e) { return e.path == "/api/download/models/1001"; }).size());
        CPPUNIT_ASSERT(sources.civitaiLog("storage").empty());
    }

    /// A part left by a parallel transfer (full size, two ranges done): only the holes are
    /// fetched, each with a bounded Range, after one probe.
    void testParallelResumeFetchesOnlyTheHoles()
    {
        ModelSources sources;
        TempDir dir;
        const ResolvedFile file = sources.hfResolver().resolve(
            ModelSources::hfRequest("org/flux", "unet/flux_unet.safetensors"));
        constexpr std::int64_t quarter = ModelSourceIds::fileSize / 4;
        std::string content = sources.hf.content("lfs");
        for (std::int64_t i = quarter; i < 2 * quarter; ++i)
            content[i] = 0; // holes hold anything; they must be overwritten
        std::fill(content.begin() + 3 * quarter, content.end(), '\0');
        writeFile(FileTransfer::partPath(dir.path(), file.fileName), content);
        TransferState state = TransferState::describing(file);
        state.parallel = true;
        state.total = ModelSourceIds::fileSize;
        state.etag = sources.hf.sha256("lfs"); // the CDN's ETag
        state.ranges = {{0, quarter}, {2 * quarter, 3 * quarter}};
        state.save(FileTransfer::statePath(dir.path(), file.fileName));
        sources.clearLogs();

        FileTransfer::Settings settings = ModelSources::transferSettings();
        settings.parallelMinBytes = 64 * 1024;
        const auto result = FileTransfer(sources.http, settings).transfer(file, dir.path(), file.fileName, {});
        CPPUNIT_ASSERT_EQUAL(sources.hf.sha256("lfs"), result.sha256);
        std::set<std::string> ranges;
        for (const auto& entry : sources.hfLog("cdn")) {
            CPPUNIT_ASSERT(!entry.authorization);
            ranges.insert(entry.range);
        }
        std::string log;
        for (const auto& entry : sources.hf.log())
            log += entry.toJsonLine() + "\n";
        CPPUNIT_ASSERT_EQUAL_MESSAGE(log, std::size_t(3), ranges.size());
        CPPUNIT_ASSERT(ranges.count("bytes=0-0"));
        CPPUNIT_ASSERT(ranges.count("bytes=" + std::to_string(quarter) + "-" + std::to_string(2 * quarter - 1)));
        CPPUNIT_ASSERT(ranges.count("bytes=" + std::to_string(3 * quarter) + "-" +
                                    std::to_string(ModelSourceIds::fileSize - 1)));
        CPPUNIT_ASSERT(!fs::exists(FileTransfer::statePath(dir.path(), file.fileName)));
    }

    /// A server that answers the probe's Range with 200 gets one plain connection.
    void testParallelFallsBackWhenRangesAreIgnored()
    {
        ModelSources sources;
        TempDir dir;
        const ResolvedFile file =
            sources.civitaiResolver().resolve(ModelSources::civitaiRequest(ModelSourceIds::version));
        fakes::Fault ignore;
        ignore.ignoreRange = true;
        sources.civitai.setFault("main", ignore);
        sources.clearLogs();
        FileTransfer::Settings settings = ModelSources::transferSettings();
        settings.parallelMinBytes = 64 * 1024;
        const auto result = FileTransfer(sources.http, settings).transfer(file, dir.path(), file.fileName, {});
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("main"), result.sha256);
        const auto storage = sources.civitaiLog("storage");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), storage.size());
        CPPUNIT_ASSERT_EQUAL(std::string("bytes=0-0"), storage[0].range);
        CPPUNIT_ASSERT_EQUAL(std::string(""), storage[1].range);
        CPPUNIT_ASSERT_EQUAL(ModelSourceIds::fileSize, storage[1].bytesSent);
    }

    /// Hooks::paused stops like a cancel but keeps the part and its state for a resume.
    void testPauseKeepsThePartialFile()
    {
        ModelSources sources;
        TempDir dir;
        sources.civitai.setFault("main", [] {
            fakes::Fault slow;
            slow.throttleBps = 128 * 1024;
            return slow;
        }());
        const ResolvedFile file =
            sources.civitaiResolver().resolve(ModelSources::civitaiRequest(ModelSourceIds::version));
        std::atomic<std::int64_t> done{0};
        FileTransfer::Hooks hooks;
        hooks.progress = [&](const TransferProgress& progress) { done = progress.bytesDone; };
        hooks.paused = [&] { return done >= 32 * 1024; };
        hooks.cancelled = hooks.paused; // the queue's stop sets both
        CPPUNIT_ASSERT_THROW(FileTransfer(sources.http, ModelSources::transferSettings())
                                 .transfer(file, dir.path(), file.fileName, hooks),
                             TransferPaused);
        const auto part = FileTransfer::partPath(dir.path(), file.fileName);
        CPPUNIT_ASSERT(fs::file_size(part) >= 32 * 1024);
        const auto state = TransferState::load(FileTransfer::statePath(dir.path(), file.fileName));
        CPPUNIT_ASSERT(state && state->sameFileAs(file));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(fs::file_size(part)), state->bytes);
        CPPUNIT_ASSERT_EQUAL(sources.civitai.content("main").substr(0, fs::file_size(part)),
                             ModelSources::read(part.string()));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FileTransferTest);
