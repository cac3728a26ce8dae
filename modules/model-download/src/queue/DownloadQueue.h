#pragma once

#include "DownloadJobStore.h"
#include "JobRunner.h"
#include "comfygate/EventBus.h"
#include "comfygate/Scheduler.h"

#include <Poco/Logger.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace comfygate::modeldownload {

/// Runs queued jobs within the concurrency limits. A periodic dispatcher on the kernel
/// Scheduler renews the leases of the jobs this process runs, picks up cancellations made
/// elsewhere, re-queues jobs whose runner died (their lease ran out) and claims queued jobs
/// while the limits leave room; enqueue and every finished job dispatch at once as well.
///
/// Each claimed job runs on its own thread, not on the Scheduler's small shared pool: a
/// transfer can take hours and must not starve other modules' background work. There are
/// never more such threads than `limits.total`.
class DownloadQueue
{
public:
    struct Settings
    {
        ConcurrencyLimits limits;
        int leaseSeconds = 30;
        std::chrono::milliseconds tick{1000};
        std::chrono::milliseconds progressInterval{1000};
        /// Called once per job that completed (after its outcome is stored), e.g. to raise
        /// `download_finished` for the policy; must not throw.
        std::function<void(const DownloadJob& job, const JobOutcome& outcome)> onCompleted;
    };

    DownloadQueue(DownloadJobStore& store, JobRunner& runner, Scheduler& scheduler, EventBus& events, Settings settings,
                  Poco::Logger& logger);
    /// Calls stop().
    ~DownloadQueue();

    /// Recovers jobs of dead runners and starts dispatching.
    void start();
    /// Stops dispatching, pauses the running jobs (their transfers keep the partial file;
    /// the jobs go back to the queue, to be resumed with Range at the next start) and waits
    /// for their threads.
    void stop();

    /// Starts queued jobs now if the limits allow.
    void dispatch();
    /// The user asked to cancel a running job: stop it if it runs here.
    void cancelRunning(const std::string& jobId);

    /// Publishes the job's current state as a "download_progress" event to its owner.
    void publish(const DownloadJob& job);

    const Settings& settings() const { return _settings; }
    /// An id for this process's leases.
    const std::string& instanceId() const { return _instanceId; }

private:
    struct ActiveJob;
    class Control;

    void tick();
    void runJob(ActiveJob& active, DownloadJob job);
    void finish(ActiveJob& active, const DownloadJob& job, const JobOutcome& outcome);
    void reapFinished();
    /// Removes the partial files of jobs that ended without their runner (cancelled while
    /// queued after a pause), unless an unfinished job continues the same file.
    void removeAbandonedPartialFiles();
    std::int64_t now() const;

    DownloadJobStore& _store;
    JobRunner& _runner;
    Scheduler& _scheduler;
    EventBus& _events;
    Settings _settings;
    Poco::Logger& _logger;
    std::string _instanceId;

    std::mutex _mutex; ///< guards _active and dispatching
    std::list<std::unique_ptr<ActiveJob>> _active;
    std::atomic<bool> _stopping{false};
    Scheduler::TimerId _timer = 0;
};

} // namespace comfygate::modeldownload
