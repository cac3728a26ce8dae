// The queue around a scripted runner: concurrency limits, cancellation of queued and running
// jobs (also from another instance), progress persisted and published, recovery of jobs
// whose runner died, and jobs handed back to the queue when the server stops.
#include "DownloadQueue.h"
#include "DownloadTesting.h"
#include "InProcessEventBus.h"
#include "WorkerScheduler.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

using namespace comfygate::modeldownload;
using comfygate::test::eventually;
using comfygate::test::makeJob;

namespace {

std::int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Holds every job until the test releases it (or it is cancelled); records how many ran
/// at once per source.
class ScriptedRunner : public JobRunner
{
public:
    JobOutcome run(const DownloadJob& job, JobControl& control) override
    {
        std::unique_lock lock(_mutex);
        ++_running[job.source()];
        ++_running["*"];
        for (const auto& [source, count] : _running)
            _peak[source] = std::max(_peak[source], count);
        _started.push_back(job.id);
        _changed.notify_all();
        while (!_released.count(job.id) && !_releaseAll && !control.cancelled()) {
            lock.unlock();
            control.progress(TransferProgress{_bytes, 1000, 250.0});
            lock.lock();
            _changed.wait_for(lock, std::chrono::milliseconds(20));
        }
        --_running[job.source()];
        --_running["*"];
        if (control.cancelled() && !_released.count(job.id))
            return JobOutcome::cancelled();
        return JobOutcome::completed("checkpoints/" + job.id + ".safetensors", "00ff", 1000);
    }

    void release(const std::string& jobId)
    {
        std::lock_guard lock(_mutex);
        _released.insert(jobId);
        _changed.notify_all();
    }
    void releaseAll()
    {
        std::lock_guard lock(_mutex);
        _releaseAll = true;
        _changed.notify_all();
    }
    void setBytes(std::int64_t bytes)
    {
        std::lock_guard lock(_mutex);
        _bytes = bytes;
    }
    int running(const std::string& source = "*")
    {
        std::lock_guard lock(_mutex);
        return _running[source];
    }
    int peak(const std::string& source = "*")
    {
        std::lock_guard lock(_mutex);
        return _peak[source];
    }
    std::vector<std::string> started()
    {
        std::lock_guard lock(_mutex);
        return _started;
    }

private:
    std::mutex _mutex;
    std::condition_variable _changed;
    std::map<std::string, int> _running, _peak;
    std::set<std::string> _released;
    std::vector<std::string> _started;
    bool _releaseAll = false;
    std::int64_t _bytes = 500;
};

} // namespace

class DownloadQueueTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(DownloadQueueTest);
    CPPUNIT_TEST(limitsAreRespectedAndFreedSlotsRefilled);
    CPPUNIT_TEST(cancelQueuedAndRunning);
    CPPUNIT_TEST(cancelFromAnotherInstanceReachesTheRunner);
    CPPUNIT_TEST(progressIsPersistedAndPublishedToTheOwner);
    CPPUNIT_TEST(jobsOfADeadRunnerAreResumedWhenTheirLeaseExpires);
    CPPUNIT_TEST(startLeavesJobsWithALiveLeaseAlone);
    CPPUNIT_TEST(stopHandsRunningJobsBackToTheQueue);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = std::make_unique<comfygate::test::TempDir>();
        _db = comfygate::test::openDownloadSqlite(*_dir);
        _store = std::make_unique<DownloadJobStore>(*_db);
        _scheduler = std::make_unique<comfygate::WorkerScheduler>(2, 64);
        _scheduler->start();
        _events = std::make_unique<comfygate::InProcessEventBus>();
    }

    void tearDown() override
    {
        if (_runner)
            _runner->releaseAll();
        _queue.reset();
        _scheduler->stop();
        _scheduler.reset();
        _events.reset();
        _runner.reset();
        _store.reset();
        _db.reset();
        _dir.reset();
    }

    void limitsAreRespectedAndFreedSlotsRefilled()
    {
        startQueue({3, 2, 1});
        for (int i = 0; i < 4; ++i)
            enqueue("c" + std::to_string(i), "civitai");
        for (int i = 0; i < 3; ++i)
            enqueue("h" + std::to_string(i), "huggingface");
        CPPUNIT_ASSERT(eventually([&] { return _runner->running() == 3; }));
        std::this_thread::sleep_for(std::chrono::milliseconds(300)); // a few ticks: still no more
        CPPUNIT_ASSERT_EQUAL(2, _runner->running("civitai"));
        CPPUNIT_ASSERT_EQUAL(1, _runner->running("huggingface"));
        const auto stats = _store->stats(_queue->settings().limits);
        CPPUNIT_ASSERT_EQUAL(3, stats.activeTotal);
        CPPUNIT_ASSERT_EQUAL(4, stats.pendingTotal);

        _runner->release("c0");
        CPPUNIT_ASSERT(eventually([&] { return status("c0") == JobStatus::Completed; }));
        CPPUNIT_ASSERT(eventually([&] { return status("c2") == JobStatus::Running; }));
        _runner->releaseAll();
        CPPUNIT_ASSERT(eventually(
            [&] { return _store->stats(_queue->settings().limits).pendingTotal == 0 && _runner->running() == 0; }));
        for (const auto& id : {"c0", "c1", "c2", "c3", "h0", "h1", "h2"})
            CPPUNIT_ASSERT(eventually([&] { return status(id) == JobStatus::Completed; }));
        CPPUNIT_ASSERT_EQUAL(3, _runner->peak());
        CPPUNIT_ASSERT_EQUAL(2, _runner->peak("civitai"));
        CPPUNIT_ASSERT_EQUAL(1, _runner->peak("huggingface"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/c3.safetensors"), _store->find("c3")->destination);
    }

    void cancelQueuedAndRunning()
    {
        startQueue({1, 1, 1});
        enqueue("first", "civitai");
        enqueue("second", "civitai");
        CPPUNIT_ASSERT(eventually([&] { return status("first") == JobStatus::Running; }));
        CPPUNIT_ASSERT(DownloadJobStore::CancelResult::Cancelled ==
                       _store->requestCancel("second", "alice", unixNow()));
        CPPUNIT_ASSERT(DownloadJobStore::CancelResult::Requested == _store->requestCancel("first", "alice", unixNow()));
        _queue->cancelRunning("first");
        CPPUNIT_ASSERT(eventually([&] { return status("first") == JobStatus::Cancelled; }));
        CPPUNIT_ASSERT(status("second") == JobStatus::Cancelled);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _runner->started().size()); // "second" never ran
    }

    void cancelFromAnotherInstanceReachesTheRunner()
    {
        startQueue({5, 3, 2});
        enqueue("job", "huggingface");
        CPPUNIT_ASSERT(eventually([&] { return status("job") == JobStatus::Running; }));
        // Only the database flag, as a route on another instance would set it.
        _store->requestCancel("job", "alice", unixNow());
        CPPUNIT_ASSERT(eventually([&] { return status("job") == JobStatus::Cancelled; }));
    }

    void progressIsPersistedAndPublishedToTheOwner()
    {
        std::mutex mutex;
        std::vector<comfygate::Event> events;
        _events->subscribe([&](const comfygate::Event& event) {
            std::lock_guard lock(mutex);
            events.push_back(event);
        });
        startQueue({5, 3, 2}, std::chrono::milliseconds(100));
        _runner->setBytes(640);
        enqueue("job", "civitai");
        CPPUNIT_ASSERT(eventually([&] { return _store->find("job")->bytesDone == 640; }));
        const auto running = _store->find("job");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1000), running->totalBytes);
        CPPUNIT_ASSERT_EQUAL(250.0, running->speedBps);
        _runner->release("job");
        CPPUNIT_ASSERT(eventually([&] { return status("job") == JobStatus::Completed; }));

        std::lock_guard lock(mutex);
        CPPUNIT_ASSERT(events.size() >= 3); // started, progress, completed
        bool sawProgress = false;
        for (const auto& event : events) {
            CPPUNIT_ASSERT_EQUAL(std::string("download_progress"), event.type);
            CPPUNIT_ASSERT(event.audience.kind == comfygate::Audience::Kind::User);
            CPPUNIT_ASSERT_EQUAL(std::string("alice"), event.audience.value);
            const auto data = Poco::JSON::Parser().parse(event.jsonData).extract<Poco::JSON::Object::Ptr>();
            CPPUNIT_ASSERT_EQUAL(std::string("job"), data->getValue<std::string>("job_id"));
            if (data->getValue<std::string>("status") == "running" &&
                data->getValue<Poco::Int64>("bytes_done") == 640) {
                sawProgress = true;
                CPPUNIT_ASSERT_DOUBLES_EQUAL(64.0, data->getValue<double>("progress_pct"), 0.01);
                CPPUNIT_ASSERT_DOUBLES_EQUAL(1.4, data->getValue<double>("eta_seconds"), 0.01);
            }
        }
        CPPUNIT_ASSERT(sawProgress);
        const auto last = Poco::JSON::Parser().parse(events.back().jsonData).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), last->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints/job.safetensors"), last->getValue<std::string>("destination"));
    }

    void jobsOfADeadRunnerAreResumedWhenTheirLeaseExpires()
    {
        enqueue("orphan", "civitai");
        // Another instance claimed it with a 2 s lease and died.
        CPPUNIT_ASSERT(_store->claimNext({5, 3, 2}, "dead-instance", unixNow(), 2));
        _store->recordProgress("orphan", 300, 1000, 10);
        startQueue({5, 3, 2}, std::chrono::milliseconds(1000));
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        CPPUNIT_ASSERT(_runner->started().empty()); // the lease still holds
        CPPUNIT_ASSERT(eventually([&] { return !_runner->started().empty(); }, std::chrono::milliseconds(6000)));
        const auto job = _store->find("orphan");
        CPPUNIT_ASSERT_EQUAL(_queue->instanceId(), job->leaseOwner);
        _runner->release("orphan");
        CPPUNIT_ASSERT(eventually([&] { return status("orphan") == JobStatus::Completed; }));
    }

    void startLeavesJobsWithALiveLeaseAlone()
    {
        enqueue("taken", "huggingface");
        // Another process on the same database runs it and keeps renewing its lease.
        CPPUNIT_ASSERT(_store->claimNext({5, 3, 2}, "live-process", unixNow(), 3600));
        startQueue({5, 3, 2});
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        CPPUNIT_ASSERT(_runner->started().empty());
        const auto job = _store->find("taken");
        CPPUNIT_ASSERT(job->status == JobStatus::Running);
        CPPUNIT_ASSERT_EQUAL(std::string("live-process"), job->leaseOwner);
    }

    void stopHandsRunningJobsBackToTheQueue()
    {
        startQueue({5, 3, 2});
        enqueue("long", "civitai");
        CPPUNIT_ASSERT(eventually([&] { return _runner->running() == 1; }));
        _queue->stop();
        const auto job = _store->find("long");
        CPPUNIT_ASSERT(job->status == JobStatus::Queued);
        CPPUNIT_ASSERT_EQUAL(std::string(""), job->leaseOwner);
        _queue->dispatch(); // after stop: does nothing
        CPPUNIT_ASSERT(_store->find("long")->status == JobStatus::Queued);
    }

private:
    void startQueue(ConcurrencyLimits limits,
                    std::chrono::milliseconds progressInterval = std::chrono::milliseconds(1000))
    {
        _runner = std::make_unique<ScriptedRunner>();
        DownloadQueue::Settings settings;
        settings.limits = limits;
        settings.leaseSeconds = 2;
        settings.tick = std::chrono::milliseconds(100);
        settings.progressInterval = progressInterval;
        _queue = std::make_unique<DownloadQueue>(*_store, *_runner, *_scheduler, *_events, settings,
                                                 Poco::Logger::get("DownloadQueueTest"));
        _queue->start();
    }

    void enqueue(const std::string& id, const std::string& source)
    {
        _store->insert(makeJob(id, "alice", source, unixNow()));
        if (_queue)
            _queue->dispatch();
    }

    JobStatus status(const std::string& id) { return _store->find(id)->status; }

    std::unique_ptr<comfygate::test::TempDir> _dir;
    std::unique_ptr<comfygate::PooledDatabase> _db;
    std::unique_ptr<DownloadJobStore> _store;
    std::unique_ptr<comfygate::WorkerScheduler> _scheduler;
    std::unique_ptr<comfygate::InProcessEventBus> _events;
    std::unique_ptr<ScriptedRunner> _runner;
    std::unique_ptr<DownloadQueue> _queue;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DownloadQueueTest);
