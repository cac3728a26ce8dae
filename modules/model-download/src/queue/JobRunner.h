#pragma once

#include "DownloadJob.h"
#include "FileTransfer.h"

#include <cstdint>
#include <string>

namespace comfygate::modeldownload {

/// What a runner may do with the queue while it works on one job.
class JobControl
{
public:
    virtual ~JobControl() = default;
    /// Reports progress; the queue persists and publishes it at most about once a second.
    virtual void progress(const TransferProgress& progress) = 0;
    /// Says what the job does now ("downloading", "uploading"); persisted and published at once.
    virtual void phase(const std::string& /*phase*/) {}
    /// Names the partial file the job writes into a models folder, before it is created, so
    /// that it can be removed if the job ends without running again (a cancel while queued).
    virtual void partialFile(const std::string& /*path*/) {}
    /// True once the job's user cancelled it or the server is stopping.
    virtual bool cancelled() const = 0;
    /// True when the work is to stop but be continued later (the server is stopping): a
    /// transfer then keeps its partial file. Implies cancelled().
    virtual bool pausing() const { return false; }
};

/// How a job ended.
struct JobOutcome
{
    enum class Kind
    {
        Completed,
        Failed,
        Cancelled
    };
    Kind kind = Kind::Failed;
    std::string destination; ///< Completed: the published file
    std::string sha256;      ///< Completed: its content hash, when known
    std::int64_t size = 0;   ///< Completed: its size in bytes
    std::string error;       ///< Failed: a reason a person can act on

    static JobOutcome completed(std::string destination, std::string sha256, std::int64_t size)
    {
        return {Kind::Completed, std::move(destination), std::move(sha256), size, {}};
    }
    static JobOutcome failed(std::string error) { return {Kind::Failed, {}, {}, 0, std::move(error)}; }
    static JobOutcome cancelled() { return {Kind::Cancelled, {}, {}, 0, {}}; }
};

/// Does one claimed job from start to end. The seam between the queue (limits, leases,
/// cancellation, progress) and the work (resolve, dedupe, transfer, publish): the queue's
/// tests run it with a scripted runner, the server with TransferJobRunner. Must not throw.
class JobRunner
{
public:
    virtual ~JobRunner() = default;
    virtual JobOutcome run(const DownloadJob& job, JobControl& control) = 0;
};

} // namespace comfygate::modeldownload
