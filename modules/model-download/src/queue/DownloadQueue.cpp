#include "DownloadQueue.h"

#include "JobJson.h"

#include <Poco/UUIDGenerator.h>

#include <exception>
#include <filesystem>

namespace comfygate::modeldownload {

struct DownloadQueue::ActiveJob
{
    std::string jobId;
    std::thread thread;
    std::atomic<bool> userCancelled{false};
    std::atomic<bool> done{false};
};

/// The JobControl a runner gets: cancellation flags and throttled progress.
class DownloadQueue::Control : public JobControl
{
public:
    Control(DownloadQueue& queue, ActiveJob& active, DownloadJob& job) : _queue(queue), _active(active), _job(job) {}

    void progress(const TransferProgress& progress) override
    {
        _job.bytesDone = progress.bytesDone;
        _job.totalBytes = progress.totalBytes;
        _job.speedBps = progress.speedBps;
        const auto at = std::chrono::steady_clock::now();
        if (at - _lastReport < _queue._settings.progressInterval)
            return;
        _lastReport = at;
        try {
            _queue._store.recordProgress(_job.id, _job.bytesDone, _job.totalBytes, _job.speedBps);
        } catch (const std::exception& error) {
            _queue._logger.warning("download %s: progress not saved: %s", _job.id, std::string(error.what()));
        }
        _queue.publish(_job);
    }

    void phase(const std::string& phase) override
    {
        _job.phase = phase;
        try {
            _queue._store.recordPhase(_job.id, phase);
        } catch (const std::exception& error) {
            _queue._logger.warning("download %s: phase not saved: %s", _job.id, std::string(error.what()));
        }
        _queue.publish(_job);
    }

    void partialFile(const std::string& path) override { _queue._store.recordPartialFile(_job.id, path); }

    bool cancelled() const override { return _active.userCancelled || _queue._stopping; }
    /// A clean stop pauses the transfer (its .part stays and the re-queued job resumes it);
    /// a user's cancel wins over it.
    bool pausing() const override { return _queue._stopping && !_active.userCancelled; }

private:
    DownloadQueue& _queue;
    ActiveJob& _active;
    DownloadJob& _job;
    std::chrono::steady_clock::time_point _lastReport{};
};

DownloadQueue::DownloadQueue(DownloadJobStore& store, JobRunner& runner, Scheduler& scheduler, EventBus& events,
                             Settings settings, Poco::Logger& logger)
    : _store(store), _runner(runner), _scheduler(scheduler), _events(events), _settings(settings), _logger(logger),
      _instanceId(Poco::UUIDGenerator::defaultGenerator().createRandom().toString())
{
}

DownloadQueue::~DownloadQueue()
{
    stop();
}

std::int64_t DownloadQueue::now() const
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void DownloadQueue::start()
{
    // Only an expired lease proves a runner dead: a job whose lease still runs belongs to a live
    // process (another instance, or a CLI following it), even one on this very database.
    const int recovered = _store.requeueExpired(now());
    if (recovered > 0)
        _logger.information("download queue: %d interrupted job(s) back in the queue, resuming", recovered);
    _timer = _scheduler.every(_settings.tick, [this] { tick(); });
    dispatch();
}

void DownloadQueue::stop()
{
    {
        std::lock_guard lock(_mutex);
        if (_stopping.exchange(true))
            return;
    }
    if (_timer != 0)
        _scheduler.cancel(_timer); // waits for a tick in progress
    std::list<std::unique_ptr<ActiveJob>> active;
    {
        std::lock_guard lock(_mutex);
        active.swap(_active);
    }
    for (auto& job : active) {
        if (job->thread.joinable())
            job->thread.join();
    }
}

void DownloadQueue::tick()
{
    if (_stopping)
        return;
    try {
        const std::int64_t at = now();
        bool running = false;
        {
            std::lock_guard lock(_mutex);
            for (const auto& job : _active)
                running = running || !job->done;
        }
        if (running) {
            _store.renewLeases(_instanceId, at, _settings.leaseSeconds);
            for (const auto& jobId : _store.cancelRequested(_instanceId))
                cancelRunning(jobId);
        }
        const int recovered = _store.requeueExpired(at);
        if (recovered > 0)
            _logger.warning("download queue: %d job(s) lost their runner (lease expired); re-queued", recovered);
        removeAbandonedPartialFiles();
    } catch (const std::exception& error) {
        _logger.error("download queue: lease upkeep failed: %s", std::string(error.what()));
    }
    dispatch();
}

void DownloadQueue::removeAbandonedPartialFiles()
{
    for (const auto& [jobId, path] : _store.abandonedPartialFiles()) {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        std::filesystem::remove(path + ".json", ignored);
        _store.recordPartialFile(jobId, "");
    }
}

void DownloadQueue::reapFinished()
{
    for (auto it = _active.begin(); it != _active.end();) {
        if ((*it)->done && (*it)->thread.joinable()) {
            (*it)->thread.join();
            it = _active.erase(it);
        } else {
            ++it;
        }
    }
}

void DownloadQueue::dispatch()
{
    std::lock_guard lock(_mutex);
    if (_stopping)
        return;
    reapFinished();
    while (true) {
        std::optional<DownloadJob> job;
        try {
            job = _store.claimNext(_settings.limits, _instanceId, now(), _settings.leaseSeconds);
        } catch (const std::exception& error) {
            _logger.error("download queue: cannot claim a job: %s", std::string(error.what()));
            return;
        }
        if (!job)
            return;
        auto active = std::make_unique<ActiveJob>();
        active->jobId = job->id;
        ActiveJob& slot = *active;
        _active.push_back(std::move(active));
        slot.thread =
            std::thread([this, &slot, claimed = std::move(*job)]() mutable { runJob(slot, std::move(claimed)); });
    }
}

void DownloadQueue::cancelRunning(const std::string& jobId)
{
    std::lock_guard lock(_mutex);
    for (const auto& job : _active) {
        if (job->jobId == jobId)
            job->userCancelled = true;
    }
}

void DownloadQueue::runJob(ActiveJob& active, DownloadJob job)
{
    publish(job);
    Control control(*this, active, job);
    JobOutcome outcome;
    try {
        outcome = _runner.run(job, control);
    } catch (const std::exception& error) {
        outcome = JobOutcome::failed(std::string("internal error: ") + error.what());
    } catch (...) {
        outcome = JobOutcome::failed("internal error");
    }
    finish(active, job, outcome);
    dispatch(); // the slot is free: start the next job now, not at the next tick
    active.done = true;
}

void DownloadQueue::finish(ActiveJob& active, const DownloadJob& job, const JobOutcome& outcome)
{
    const std::int64_t at = now();
    try {
        switch (outcome.kind) {
        case JobOutcome::Kind::Completed:
            _store.complete(job.id, _instanceId, outcome.destination, outcome.sha256, outcome.size, at);
            if (_settings.onCompleted)
                _settings.onCompleted(job, outcome);
            break;
        case JobOutcome::Kind::Failed:
            _store.fail(job.id, _instanceId, outcome.error, at);
            _logger.warning("download %s failed: %s", job.id, outcome.error);
            break;
        case JobOutcome::Kind::Cancelled:
            if (active.userCancelled || !_stopping)
                _store.markCancelled(job.id, _instanceId, at);
            else
                _store.requeue(job.id, _instanceId); // the server stops: resume at the next start
            break;
        }
        if (const auto stored = _store.find(job.id))
            publish(*stored);
    } catch (const std::exception& error) {
        // The lease runs out and another dispatcher re-queues the job.
        _logger.error("download %s: outcome not saved: %s", job.id, std::string(error.what()));
    }
}

void DownloadQueue::publish(const DownloadJob& job)
{
    try {
        _events.publish(Event{"download_progress", progressEventJson(job), Audience::user(job.userId)});
    } catch (const std::exception& error) {
        _logger.warning("download %s: progress event not published: %s", job.id, std::string(error.what()));
    }
}

} // namespace comfygate::modeldownload
