// `download_finished` for the policy's `event` hook, in the real binary against the fake
// CivitAI: raised once per completed job with the requester as subject and the job's file,
// folder, size and hash; a failed job raises nothing.
#include "DownloadBench.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <thread>

using comfygate::test::DownloadBench;
using comfygate::test::ModelSourceIds;

class DownloadEventsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(DownloadEventsTest);
    CPPUNIT_TEST(completedJobRaisesDownloadFinished);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { _bench = std::make_unique<DownloadBench>(); }
    void tearDown() override { _bench.reset(); }

    void completedJobRaisesDownloadFinished()
    {
        comfygate::test::TempDir policies;
        policies.write("events.lua", R"(
policy.on("event", function(subject, event)
    if event.type ~= "download_finished" then return end
    policy.log(string.format("download_finished %s by %s (%s): %s %s/%s %d bytes sha256 %s", event.job_id,
        subject.username, subject.role, event.source, event.folder, event.filename, event.size_bytes, event.sha256))
end)
policy.on("download", function(subject, request)
    if request.model_version_id == "1003" then return false, "not this one" end
end)
)");
        _bench->start({{"policy.dir", policies.path()}});
        const std::string id = _bench->queue(R"({"source":"civitai","model_version_id":"1001"})");
        const auto job = _bench->waitCompleted(id);
        const std::string expected = "download_finished " + id + " by ada (admin): civitai checkpoints/" +
                                     "juggernaut_v9.safetensors " + std::to_string(ModelSourceIds::fileSize) +
                                     " bytes sha256 " + job->getValue<std::string>("sha256");
        auto& process = _bench->server->process();
        bool seen = false;
        for (int i = 0; i < 400 && !seen; ++i) {
            seen = process.stderrText().find(expected) != std::string::npos;
            if (!seen)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        CPPUNIT_ASSERT_MESSAGE(process.stderrText(), seen);
        const std::string log = process.stderrText();
        CPPUNIT_ASSERT_EQUAL(std::string::npos, log.find("download_finished " + id, log.find(expected) + 1));
    }

private:
    std::unique_ptr<DownloadBench> _bench;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DownloadEventsTest);
