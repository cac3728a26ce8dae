// `comfygate download ...` as an operator runs it: the real binary, no server, the fake
// CivitAI and Hugging Face. --follow runs the queue in that process and draws progress on
// stderr (plain lines: the test's stderr is a file, not a terminal).
#include "DownloadServer.h"
#include "FileDigest.h"
#include "ModelSources.h"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <sstream>

using comfygate::test::DownloadServer;
using comfygate::test::ModelSources;

class DownloadCliTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(DownloadCliTest);
    CPPUNIT_TEST(civitaiFollowDownloadsWithProgressAndExitsZero);
    CPPUNIT_TEST(huggingFaceForANamedUserAndListing);
    CPPUNIT_TEST(failuresAndRefusalsExitNonZero);
    CPPUNIT_TEST(queuedJobCanBeCancelled);
    CPPUNIT_TEST(withoutFollowTheJobWaitsForTheServer);
    CPPUNIT_TEST(helpDescribesTheCommands);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _sources = std::make_unique<ModelSources>();
        _server = std::make_unique<DownloadServer>(
            std::map<std::string, std::string>{{"downloads.civitai.base_url", _sources->civitai.apiUrl()},
                                               {"downloads.huggingface.base_url", _sources->hf.apiUrl()},
                                               {"downloads.civitai.require_api_key", "false"},
                                               {"downloads.stall_seconds", "5"}});
        _server->addUser("oli", "owner");
        _server->addUser("ada", "admin");
        _server->addUser("gus", "user");
    }

    void tearDown() override
    {
        _server.reset();
        _sources.reset();
    }

    void civitaiFollowDownloadsWithProgressAndExitsZero()
    {
        comfygate::fakes::Fault slow;
        slow.throttleBps = 64 * 1024; // about four seconds: progress is saved and drawn once a second
        _sources->civitai.setFault("civitai", slow);
        const Run run = command({"download", "civitai", "1001", "--folder", "loras", "--follow"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.err, 0, run.status);
        CPPUNIT_ASSERT_MESSAGE(run.out, run.out.find("queued download job ") == 0);
        CPPUNIT_ASSERT_MESSAGE(run.out, run.out.find(" for oli (loras)") != std::string::npos);
        // Plain lines: running with a percentage and a rate, then 100% completed.
        CPPUNIT_ASSERT_MESSAGE(run.err, run.err.find("running") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(run.err, run.err.find("MB/s") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(run.err, run.err.find("ETA ") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(run.err, run.err.find("100.0%") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(run.err,
                               run.err.find("completed  loras/juggernaut_v9.safetensors") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(run.err, run.err.find('\r') == std::string::npos);
        bool partial = false; // a progress line between 0 and 100 percent
        std::istringstream lines(run.err);
        for (std::string line; std::getline(lines, line);) {
            if (line.find("MB/s") == std::string::npos || line.find('%') == std::string::npos)
                continue;
            const double value = std::stod(line.substr(0, line.find('%')));
            partial = partial || (value > 0 && value < 100);
        }
        CPPUNIT_ASSERT_MESSAGE(run.err, partial);
        CPPUNIT_ASSERT_EQUAL(_sources->civitai.sha256("main"),
                             comfygate::modeldownload::FileDigest::sha256OfFile(_server->modelsDir() +
                                                                                "/loras/juggernaut_v9.safetensors"));
    }

    void huggingFaceForANamedUserAndListing()
    {
        const Run run = command({"download", "hf", "org/flux", "flux_unet.safetensors", "--subfolder", "unet",
                                 "--revision", "v1.0", "--folder", "unet", "--user", "ada", "--follow"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.err, 0, run.status);
        CPPUNIT_ASSERT_EQUAL(_sources->hf.sha256("lfs-v1"), comfygate::modeldownload::FileDigest::sha256OfFile(
                                                                _server->modelsDir() + "/unet/flux_unet.safetensors"));
        const std::string jobId = run.out.substr(std::string("queued download job ").size(), 32);

        const Run adas = command({"download", "list", "--user", "ada"});
        CPPUNIT_ASSERT_EQUAL(0, adas.status);
        CPPUNIT_ASSERT_MESSAGE(
            adas.out, adas.out.find(jobId + "\tada\tcompleted\t100.0%\thuggingface\tunet/flux_unet.safetensors") !=
                          std::string::npos);
        const Run owners = command({"download", "list"}); // the owner's: none
        CPPUNIT_ASSERT_MESSAGE(owners.out, owners.out.find(jobId) == std::string::npos);
        const Run all = command({"download", "list", "--all"});
        CPPUNIT_ASSERT_MESSAGE(all.out, all.out.find(jobId) != std::string::npos);
        // The job is the same one MSS-Login's API shows its owner.
        _server->start();
        auto job = _server->client().get("/mss-login/api/model-download/jobs/" + jobId, _server->login("ada"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(job.body, 200, job.status);
    }

    void failuresAndRefusalsExitNonZero()
    {
        const Run refused = command({"download", "civitai", "1003", "--follow"});
        CPPUNIT_ASSERT_EQUAL(1, refused.status);
        CPPUNIT_ASSERT_MESSAGE(refused.err, refused.err.find("failed") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(refused.err, refused.err.find("generation-only") != std::string::npos);

        const Run noPermission = command({"download", "civitai", "1001", "--user", "gus"});
        CPPUNIT_ASSERT_EQUAL(1, noPermission.status);
        CPPUNIT_ASSERT_MESSAGE(noPermission.err,
                               noPermission.err.find("gus does not hold can_download_models") != std::string::npos);
        const Run unknownUser = command({"download", "civitai", "1001", "--user", "nobody"});
        CPPUNIT_ASSERT_EQUAL(1, unknownUser.status);
        const Run badFolder = command({"download", "civitai", "1001", "--folder", "custom_nodes"});
        CPPUNIT_ASSERT_EQUAL(1, badFolder.status);
        CPPUNIT_ASSERT_MESSAGE(badFolder.err, badFolder.err.find("not a model folder") != std::string::npos);
        const Run escape = command({"download", "hf", "org/flux", "../../etc/passwd"});
        CPPUNIT_ASSERT_EQUAL(1, escape.status);
        const Run badVersion = command({"download", "civitai", "12abc"});
        CPPUNIT_ASSERT_EQUAL(1, badVersion.status);
        const Run unknownOption = command({"download", "civitai", "1001", "--bogus"});
        CPPUNIT_ASSERT_EQUAL(2, unknownOption.status);
        CPPUNIT_ASSERT_MESSAGE(unknownOption.err,
                               unknownOption.err.find("unknown option --bogus") != std::string::npos);
        const Run missing = command({"download", "hf", "org/flux"});
        CPPUNIT_ASSERT_EQUAL(2, missing.status);
        // None of these queued anything but the refused one.
        const Run all = command({"download", "list", "--all"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(2),
                             static_cast<std::size_t>(std::count(all.out.begin(), all.out.end(), '\n')));
    }

    void queuedJobCanBeCancelled()
    {
        const Run queued = command({"download", "civitai", "1001"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(queued.err, 0, queued.status);
        const std::string jobId = queued.out.substr(std::string("queued download job ").size(), 32);
        const Run cancelled = command({"download", "cancel", jobId});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cancelled.err, 0, cancelled.status);
        const Run list = command({"download", "list"});
        CPPUNIT_ASSERT_MESSAGE(list.out, list.out.find(jobId + "\toli\tcancelled") != std::string::npos);
        const Run again = command({"download", "cancel", jobId});
        CPPUNIT_ASSERT_EQUAL(1, again.status);
        CPPUNIT_ASSERT_MESSAGE(again.err, again.err.find("already cancelled") != std::string::npos);
        const Run unknown = command({"download", "cancel", "0123456789abcdef0123456789abcdef"});
        CPPUNIT_ASSERT_EQUAL(1, unknown.status);
        const Run follow = command({"download", "follow", jobId});
        CPPUNIT_ASSERT_EQUAL(1, follow.status); // cancelled is not success
    }

    void withoutFollowTheJobWaitsForTheServer()
    {
        // Short CLI commands never run the queue: the job waits for the serving process, and
        // nothing reaches the source until then.
        const Run queued = command({"download", "civitai", "1001"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(queued.err, 0, queued.status);
        const std::string jobId = queued.out.substr(std::string("queued download job ").size(), 32);
        for (int i = 0; i < 2; ++i) {
            const Run list = command({"download", "list"});
            CPPUNIT_ASSERT_MESSAGE(list.out, list.out.find(jobId + "\toli\tqueued") != std::string::npos);
        }
        CPPUNIT_ASSERT(_sources->civitai.log().empty());
    }

    void helpDescribesTheCommands()
    {
        const Run help = command({"download", "--help"});
        CPPUNIT_ASSERT_EQUAL(0, help.status);
        for (const char* text : {"download civitai VERSION_ID", "download hf REPO FILE", "download list",
                                 "download cancel JOB_ID", "--follow"})
            CPPUNIT_ASSERT_MESSAGE(help.out, help.out.find(text) != std::string::npos);
    }

private:
    struct Run
    {
        int status = -1;
        std::string out, err;
    };

    Run command(const std::vector<std::string>& words)
    {
        Run run;
        run.status = _server->process().runCommand(words, run.out, run.err);
        return run;
    }

    std::unique_ptr<ModelSources> _sources;
    std::unique_ptr<DownloadServer> _server;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DownloadCliTest);
