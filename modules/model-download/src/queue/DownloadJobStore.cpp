#include "DownloadJobStore.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

#include <limits>
#include <map>

using namespace Poco::Data::Keywords;

namespace comfygate::modeldownload {
namespace {

const std::string selectJobs =
    "SELECT id, user_id, requested_by, request, status, bytes_done, total_bytes, speed_bps, error, destination,"
    " sha256, created_at, started_at, finished_at, cancel_requested, lease_owner, lease_expires_at, phase"
    " FROM download_jobs ";

std::int64_t integer(const Poco::Data::RecordSet& rows, std::size_t column, std::size_t row)
{
    const Poco::Dynamic::Var value = rows.value(column, row);
    return value.isEmpty() ? 0 : value.convert<Poco::Int64>();
}

std::string text(const Poco::Data::RecordSet& rows, std::size_t column, std::size_t row)
{
    const Poco::Dynamic::Var value = rows.value(column, row);
    return value.isEmpty() ? std::string() : value.convert<std::string>();
}

std::vector<DownloadJob> readJobs(Poco::Data::Statement& select)
{
    select.execute();
    Poco::Data::RecordSet rows(select);
    std::vector<DownloadJob> jobs;
    for (std::size_t row = 0; row < rows.rowCount(); ++row) {
        DownloadJob job;
        job.id = text(rows, 0, row);
        job.userId = text(rows, 1, row);
        job.requestedBy = text(rows, 2, row);
        job.request = DownloadRequest::fromJson(text(rows, 3, row));
        job.status = jobStatusFromString(text(rows, 4, row));
        job.bytesDone = integer(rows, 5, row);
        job.totalBytes = integer(rows, 6, row);
        job.speedBps = rows.value(7, row).isEmpty() ? 0.0 : rows.value(7, row).convert<double>();
        job.error = text(rows, 8, row);
        job.destination = text(rows, 9, row);
        job.sha256 = text(rows, 10, row);
        job.createdAt = integer(rows, 11, row);
        job.startedAt = integer(rows, 12, row);
        job.finishedAt = integer(rows, 13, row);
        job.cancelRequested = integer(rows, 14, row) != 0;
        job.leaseOwner = text(rows, 15, row);
        job.leaseExpiresAt = integer(rows, 16, row);
        job.phase = text(rows, 17, row);
        jobs.push_back(std::move(job));
    }
    return jobs;
}

std::map<std::string, int> runningBySource(Database& database, Poco::Data::Session& session)
{
    std::vector<std::string> sources;
    std::vector<Poco::Int64> counts;
    session << database.translate(
        "SELECT source, COUNT(*) FROM download_jobs WHERE status = 'running' GROUP BY source"),
        into(sources), into(counts), now;
    std::map<std::string, int> running;
    for (std::size_t i = 0; i < sources.size(); ++i)
        running[sources[i]] = static_cast<int>(counts[i]);
    return running;
}

// Serialises the transactions that count jobs and then add or claim one, across every instance
// on the database (on SQLite write() already does).
void lockQueue(Database& database, Poco::Data::Session& session)
{
    int locked = 0;
    session << database.translate("{{xact_lock:download_jobs.queue}}"), into(locked), now;
}

} // namespace

int ConcurrencyLimits::forSource(const std::string& source) const
{
    if (source == "civitai")
        return civitai;
    if (source == "huggingface")
        return huggingface;
    return total;
}

void DownloadJobStore::insert(const DownloadJob& job)
{
    insertWithin(job, std::numeric_limits<int>::max());
}

bool DownloadJobStore::insertWithin(const DownloadJob& job, int maxUnfinishedOfUser)
{
    const std::string request = job.request.toJson();
    const std::string status = toString(job.status);
    const Poco::Int64 created = job.createdAt;
    // Orders jobs queued within one second; without it, the start of that second.
    const Poco::Int64 queuedAt = job.queuedAtMs > 0 ? job.queuedAtMs : job.createdAt * 1000;
    bool inserted = false;
    _database.write([&](Poco::Data::Session& session) {
        if (maxUnfinishedOfUser < std::numeric_limits<int>::max()) {
            lockQueue(_database, session);
            Poco::Int64 unfinished = 0;
            session << _database.translate("SELECT COUNT(*) FROM download_jobs WHERE user_id = ?"
                                           " AND status IN ('queued', 'running')"),
                into(unfinished), bind(job.userId), now;
            if (unfinished >= maxUnfinishedOfUser)
                return;
        }
        session << _database.translate(
            "INSERT INTO download_jobs (id, user_id, requested_by, source, request, folder_type,"
            " destination_type, status, created_at, queued_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            bind(job.id), bind(job.userId), bind(job.requestedBy), bind(job.request.source), bind(request),
            bind(job.request.folderType), bind(job.request.destinationType), bind(status), bind(created),
            bind(queuedAt), now;
        inserted = true;
    });
    return inserted;
}

std::optional<DownloadJob> DownloadJobStore::find(const std::string& jobId)
{
    Poco::Data::Session session = _database.session();
    Poco::Data::Statement select(session);
    select << _database.translate(selectJobs + "WHERE id = ?"), bind(jobId);
    auto jobs = readJobs(select);
    if (jobs.empty())
        return std::nullopt;
    return std::move(jobs.front());
}

std::vector<DownloadJob> DownloadJobStore::listForUser(const std::string& userId, int limit)
{
    Poco::Data::Session session = _database.session();
    Poco::Data::Statement select(session);
    select << _database.translate(selectJobs + "WHERE user_id = ? ORDER BY queued_at_ms DESC, id DESC LIMIT ?"),
        bind(userId), bind(limit);
    return readJobs(select);
}

int DownloadJobStore::unfinishedCount(const std::string& userId)
{
    Poco::Int64 count = 0;
    Poco::Data::Session session = _database.session();
    session << _database.translate(
        "SELECT COUNT(*) FROM download_jobs WHERE user_id = ? AND status IN ('queued', 'running')"),
        into(count), bind(userId), now;
    return static_cast<int>(count);
}

QueueStats DownloadJobStore::stats(const ConcurrencyLimits& limits)
{
    Poco::Data::Session session = _database.session();
    const auto running = runningBySource(_database, session);
    Poco::Int64 pending = 0;
    session << "SELECT COUNT(*) FROM download_jobs WHERE status = 'queued'", into(pending), now;
    QueueStats stats;
    for (const auto& [source, count] : running)
        stats.activeTotal += count;
    stats.activeCivitai = running.count("civitai") ? running.at("civitai") : 0;
    stats.activeHuggingface = running.count("huggingface") ? running.at("huggingface") : 0;
    stats.pendingTotal = static_cast<int>(pending);
    stats.limitTotal = limits.total;
    stats.limitCivitai = limits.civitai;
    stats.limitHuggingface = limits.huggingface;
    return stats;
}

std::optional<DownloadJob> DownloadJobStore::claimNext(const ConcurrencyLimits& limits, const std::string& owner,
                                                       std::int64_t at, int leaseSeconds)
{
    std::optional<std::string> claimed;
    _database.write([&](Poco::Data::Session& session) {
        // Instances sharing a PostgreSQL database claim one at a time, so the running jobs
        // counted here are all there are and the limits hold across instances.
        lockQueue(_database, session);
        auto running = runningBySource(_database, session);
        int total = 0;
        for (const auto& [source, count] : running)
            total += count;
        if (total >= limits.total)
            return;
        std::vector<std::string> ids, sources;
        session << _database.translate("SELECT id, source FROM download_jobs WHERE status = 'queued'"
                                       " ORDER BY queued_at_ms, id {{skip_locked}}"),
            into(ids), into(sources), now;
        for (std::size_t i = 0; i < ids.size() && !claimed; ++i) {
            if (running[sources[i]] >= limits.forSource(sources[i]))
                continue;
            const Poco::Int64 nowSeconds = at;
            const Poco::Int64 expires = at + leaseSeconds;
            Poco::Data::Statement update(session);
            update << _database.translate(
                "UPDATE download_jobs SET status = 'running', lease_owner = ?, lease_expires_at = ?,"
                " started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END"
                " WHERE id = ? AND status = 'queued'"),
                bind(owner), bind(expires), bind(nowSeconds), bind(ids[i]);
            if (update.execute() == 1)
                claimed = ids[i];
        }
    });
    if (!claimed)
        return std::nullopt;
    return find(*claimed);
}

void DownloadJobStore::renewLeases(const std::string& owner, std::int64_t at, int leaseSeconds)
{
    const Poco::Int64 expires = at + leaseSeconds;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate("UPDATE download_jobs SET lease_expires_at = ?"
                                       " WHERE status = 'running' AND lease_owner = ?"),
            bind(expires), bind(owner), now;
    });
}

std::vector<std::string> DownloadJobStore::cancelRequested(const std::string& owner)
{
    std::vector<std::string> ids;
    Poco::Data::Session session = _database.session();
    session << _database.translate("SELECT id FROM download_jobs WHERE status = 'running' AND lease_owner = ?"
                                   " AND cancel_requested = 1"),
        into(ids), bind(owner), now;
    return ids;
}

int DownloadJobStore::requeueExpired(std::int64_t at)
{
    int requeued = 0;
    const Poco::Int64 nowSeconds = at;
    const Poco::Int64 before = at;
    _database.write([&](Poco::Data::Session& session) {
        // A job its user cancelled while its runner died is not resumed.
        session << _database.translate("UPDATE download_jobs SET status = 'cancelled', finished_at = ?,"
                                       " lease_owner = '', lease_expires_at = 0, speed_bps = 0"
                                       " WHERE status = 'running' AND lease_expires_at < ? AND cancel_requested = 1"),
            bind(nowSeconds), bind(before), now;
        Poco::Data::Statement update(session);
        update << _database.translate("UPDATE download_jobs SET status = 'queued', lease_owner = '',"
                                      " lease_expires_at = 0, speed_bps = 0"
                                      " WHERE status = 'running' AND lease_expires_at < ?"),
            bind(before);
        requeued = static_cast<int>(update.execute());
    });
    return requeued;
}

void DownloadJobStore::requeue(const std::string& jobId, const std::string& owner)
{
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate("UPDATE download_jobs SET status = 'queued', lease_owner = '',"
                                       " lease_expires_at = 0, speed_bps = 0"
                                       " WHERE id = ? AND status = 'running' AND lease_owner = ?"),
            bind(jobId), bind(owner), now;
    });
}

void DownloadJobStore::recordProgress(const std::string& jobId, std::int64_t bytesDone, std::int64_t totalBytes,
                                      double speedBps)
{
    const Poco::Int64 done = bytesDone;
    const Poco::Int64 total = totalBytes;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate("UPDATE download_jobs SET bytes_done = ?, total_bytes = ?, speed_bps = ?"
                                       " WHERE id = ? AND status = 'running'"),
            bind(done), bind(total), bind(speedBps), bind(jobId), now;
    });
}

void DownloadJobStore::recordPhase(const std::string& jobId, const std::string& phase)
{
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate("UPDATE download_jobs SET phase = ? WHERE id = ? AND status = 'running'"),
            bind(phase), bind(jobId), now;
    });
}

void DownloadJobStore::recordPartialFile(const std::string& jobId, const std::string& path)
{
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate("UPDATE download_jobs SET partial_path = ? WHERE id = ?"), bind(path),
            bind(jobId), now;
    });
}

std::vector<std::pair<std::string, std::string>> DownloadJobStore::abandonedPartialFiles()
{
    std::vector<std::string> ids, paths;
    auto session = _database.session();
    session << _database.translate(
                   "SELECT id, partial_path FROM download_jobs WHERE partial_path <> ''"
                   " AND status IN ('completed', 'failed', 'cancelled') AND partial_path NOT IN"
                   " (SELECT partial_path FROM download_jobs WHERE status IN ('queued', 'running'))"),
        into(ids), into(paths), now;
    std::vector<std::pair<std::string, std::string>> found;
    for (std::size_t i = 0; i < ids.size(); ++i)
        found.emplace_back(ids[i], paths[i]);
    return found;
}

void DownloadJobStore::complete(const std::string& jobId, const std::string& owner, const std::string& destination,
                                const std::string& sha256, std::int64_t size, std::int64_t at)
{
    const Poco::Int64 bytes = size;
    const Poco::Int64 finished = at;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate(
            "UPDATE download_jobs SET status = 'completed', destination = ?, sha256 = ?, bytes_done = ?,"
            " total_bytes = ?, speed_bps = 0, error = '', finished_at = ?, lease_owner = '',"
            " lease_expires_at = 0 WHERE id = ? AND status = 'running' AND lease_owner = ?"),
            bind(destination), bind(sha256), bind(bytes), bind(bytes), bind(finished), bind(jobId), bind(owner), now;
    });
}

void DownloadJobStore::fail(const std::string& jobId, const std::string& owner, const std::string& error,
                            std::int64_t at)
{
    const Poco::Int64 finished = at;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate("UPDATE download_jobs SET status = 'failed', error = ?, speed_bps = 0,"
                                       " finished_at = ?, lease_owner = '', lease_expires_at = 0"
                                       " WHERE id = ? AND status = 'running' AND lease_owner = ?"),
            bind(error), bind(finished), bind(jobId), bind(owner), now;
    });
}

void DownloadJobStore::markCancelled(const std::string& jobId, const std::string& owner, std::int64_t at)
{
    const Poco::Int64 finished = at;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate("UPDATE download_jobs SET status = 'cancelled', speed_bps = 0,"
                                       " finished_at = ?, lease_owner = '', lease_expires_at = 0"
                                       " WHERE id = ? AND status = 'running' AND lease_owner = ?"),
            bind(finished), bind(jobId), bind(owner), now;
    });
}

DownloadJobStore::CancelResult DownloadJobStore::requestCancel(const std::string& jobId, const std::string& userId,
                                                               std::int64_t at)
{
    CancelResult result = CancelResult::NotFound;
    const Poco::Int64 finished = at;
    _database.write([&](Poco::Data::Session& session) {
        std::vector<std::string> statuses;
        session << _database.translate("SELECT status FROM download_jobs WHERE id = ? AND user_id = ?"), into(statuses),
            bind(jobId), bind(userId), now;
        if (statuses.empty())
            return;
        const JobStatus status = jobStatusFromString(statuses.front());
        if (status == JobStatus::Queued) {
            session << _database.translate("UPDATE download_jobs SET status = 'cancelled', finished_at = ?,"
                                           " cancel_requested = 1 WHERE id = ?"),
                bind(finished), bind(jobId), now;
            result = CancelResult::Cancelled;
        } else if (status == JobStatus::Running) {
            session << _database.translate("UPDATE download_jobs SET cancel_requested = 1 WHERE id = ?"), bind(jobId),
                now;
            result = CancelResult::Requested;
        } else {
            result = CancelResult::AlreadyFinished;
        }
    });
    return result;
}

} // namespace comfygate::modeldownload
