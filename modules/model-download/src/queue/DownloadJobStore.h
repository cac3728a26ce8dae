#pragma once

#include "DownloadJob.h"
#include "comfygate/Database.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace comfygate::modeldownload {

/// How many jobs may run at once, in total and per source.
struct ConcurrencyLimits
{
    int total = 5;
    int civitai = 3;
    int huggingface = 2;

    int forSource(const std::string& source) const;
};

/// The download_jobs table. Every state change is one statement or one transaction, so two
/// workers (or two instances on one PostgreSQL database) never both run a job: a job is
/// claimed with a lease that its runner renews, and a job whose lease ran out (the process
/// died) goes back to the queue and resumes from its partial file.
class DownloadJobStore
{
public:
    explicit DownloadJobStore(Database& database) : _database(database) {}

    void insert(const DownloadJob& job);
    /// Inserts the job unless its user already has `maxUnfinishedOfUser` queued or running
    /// jobs (false then). Count and insert are one transaction that instances sharing the
    /// database take in turn, so the limit holds across them.
    bool insertWithin(const DownloadJob& job, int maxUnfinishedOfUser);
    std::optional<DownloadJob> find(const std::string& jobId);
    /// The user's jobs, newest first.
    std::vector<DownloadJob> listForUser(const std::string& userId, int limit);
    /// Queued and running jobs of the user.
    int unfinishedCount(const std::string& userId);
    QueueStats stats(const ConcurrencyLimits& limits);

    /// Marks the oldest queued job whose source still has room as running under `owner`'s
    /// lease and returns it; nothing when every queued job would exceed a limit. Instances
    /// sharing the database claim in turn (the limits count every instance's running jobs)
    /// and skip rows another transaction holds (`FOR UPDATE SKIP LOCKED`).
    std::optional<DownloadJob> claimNext(const ConcurrencyLimits& limits, const std::string& owner, std::int64_t now,
                                         int leaseSeconds);
    /// Extends the leases of `owner`'s running jobs.
    void renewLeases(const std::string& owner, std::int64_t now, int leaseSeconds);
    /// `owner`'s running jobs whose cancellation was requested (possibly by another instance).
    std::vector<std::string> cancelRequested(const std::string& owner);
    /// Running jobs whose lease expired before `now` go back to the queue; returns how many.
    int requeueExpired(std::int64_t now);
    /// Gives a running job back to the queue (the server is stopping); keeps its progress.
    void requeue(const std::string& jobId, const std::string& owner);

    void recordProgress(const std::string& jobId, std::int64_t bytesDone, std::int64_t totalBytes, double speedBps);
    /// What a running job is doing now ("downloading", "uploading"), for its JSON.
    void recordPhase(const std::string& jobId, const std::string& phase);
    /// The partial file a job writes ("" once it is gone).
    void recordPartialFile(const std::string& jobId, const std::string& path);
    /// (job id, partial file) of finished jobs whose partial file no unfinished job shares.
    std::vector<std::pair<std::string, std::string>> abandonedPartialFiles();
    void complete(const std::string& jobId, const std::string& owner, const std::string& destination,
                  const std::string& sha256, std::int64_t size, std::int64_t now);
    void fail(const std::string& jobId, const std::string& owner, const std::string& error, std::int64_t now);
    void markCancelled(const std::string& jobId, const std::string& owner, std::int64_t now);

    enum class CancelResult
    {
        NotFound,        ///< no such job for this user
        Cancelled,       ///< it was queued and is now cancelled
        Requested,       ///< it is running; its runner stops it
        AlreadyFinished, ///< completed, failed or cancelled before
    };
    CancelResult requestCancel(const std::string& jobId, const std::string& userId, std::int64_t now);

private:

    Database& _database;
};

} // namespace comfygate::modeldownload
