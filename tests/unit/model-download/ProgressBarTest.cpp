#include "ProgressBar.h"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <sstream>

using comfygate::modeldownload::DownloadJob;
using comfygate::modeldownload::JobStatus;
using comfygate::modeldownload::ProgressBar;

namespace {

DownloadJob running(std::int64_t done, std::int64_t total, double speed)
{
    DownloadJob job;
    job.request.source = "civitai";
    job.request.modelVersionId = "1001";
    job.status = JobStatus::Running;
    job.bytesDone = done;
    job.totalBytes = total;
    job.speedBps = speed;
    return job;
}

} // namespace

class ProgressBarTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ProgressBarTest);
    CPPUNIT_TEST(describesPercentRateEtaAndSize);
    CPPUNIT_TEST(unknownSizeAndFinalStates);
    CPPUNIT_TEST(durations);
    CPPUNIT_TEST(terminalRedrawsInPlacePlainPrintsLines);
    CPPUNIT_TEST_SUITE_END();

public:
    void describesPercentRateEtaAndSize()
    {
        const auto job = running(25 * 1024 * 1024, 100 * 1024 * 1024, 12.5e6);
        CPPUNIT_ASSERT_EQUAL(std::string("[#####---------------]  25.0%  12.5 MB/s  ETA 0:06  25.0 MiB of 100.0 MiB"
                                         "  running  CivitAI version 1001"),
                             ProgressBar::describe(job, 20));
    }

    void unknownSizeAndFinalStates()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("  0.0%  1.0 MB/s  ETA --:--  2.0 MiB  running  CivitAI version 1001"),
                             ProgressBar::describe(running(2 * 1024 * 1024, -1, 1e6), 0));
        auto done = running(1024 * 1024, 1024 * 1024, 5e6);
        done.status = JobStatus::Completed;
        done.destination = "loras/a.safetensors";
        CPPUNIT_ASSERT_EQUAL(
            std::string("100.0%  0.0 MB/s  ETA 0:00  1.0 MiB of 1.0 MiB  completed  loras/a.safetensors"),
            ProgressBar::describe(done, 0));
        auto failed = running(0, -1, 0);
        failed.status = JobStatus::Failed;
        failed.error = "generation-only model";
        CPPUNIT_ASSERT(ProgressBar::describe(failed, 0).find("failed  CivitAI version 1001: generation-only model") !=
                       std::string::npos);
    }

    void durations()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("0:07"), ProgressBar::duration(7.2));
        CPPUNIT_ASSERT_EQUAL(std::string("12:30"), ProgressBar::duration(750));
        CPPUNIT_ASSERT_EQUAL(std::string("1:02:03"), ProgressBar::duration(3723));
        CPPUNIT_ASSERT_EQUAL(std::string("--:--"), ProgressBar::duration(-1));
    }

    void terminalRedrawsInPlacePlainPrintsLines()
    {
        std::ostringstream tty;
        ProgressBar bar(tty, true);
        bar.update(running(1, 4, 1));
        bar.update(running(2, 4, 1));
        auto done = running(4, 4, 1);
        done.status = JobStatus::Completed;
        bar.finish(done);
        const std::string drawn = tty.str();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), static_cast<std::size_t>(std::count(drawn.begin(), drawn.end(), '\r')));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), static_cast<std::size_t>(std::count(drawn.begin(), drawn.end(), '\n')));

        std::ostringstream plain;
        ProgressBar lines(plain, false, std::chrono::hours(1));
        lines.update(running(1, 4, 1)); // first: printed
        lines.update(running(2, 4, 1)); // same status within the interval: not printed
        lines.finish(done);             // the end: printed
        const std::string text = plain.str();
        CPPUNIT_ASSERT_EQUAL(std::string::npos, text.find('\r'));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
        CPPUNIT_ASSERT(text.find(" 25.0%") != std::string::npos && text.find("100.0%") != std::string::npos);
        CPPUNIT_ASSERT(text.find(" 50.0%") == std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ProgressBarTest);
