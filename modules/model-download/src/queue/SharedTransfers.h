#pragma once

#include "FileTransfer.h"
#include "JobRunner.h"

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace comfygate::modeldownload {

/// One transfer per target file in this process: the first job for a path runs the
/// transfer, later jobs for the same path wait for it and share its progress and result
/// instead of writing the same `.part` twice. When the running job is cancelled, a waiting
/// job takes over (and resumes nothing: the cancelled transfer removed its partial file).
class SharedTransfers
{
public:
    using Work = std::function<std::filesystem::path(const FileTransfer::Hooks& hooks)>;

    struct Result
    {
        JobOutcome::Kind kind = JobOutcome::Kind::Failed;
        std::filesystem::path path; ///< Completed
        std::string error;          ///< Failed
        bool shared = false;        ///< another job's transfer did the work
    };

    /// Runs `work` for `key` (the target path) unless another job already does; then waits
    /// for that one, reporting its progress through `control`. `work` gets hooks for
    /// progress and cancellation and throws TransferCancelled or any other exception.
    Result run(const std::string& key, JobControl& control, const Work& work);

private:
    struct InFlight
    {
        std::mutex mutex;
        std::condition_variable changed;
        bool finished = false;
        Result result;
        TransferProgress latest;
        bool hasProgress = false;
    };

    Result lead(const std::string& key, const std::shared_ptr<InFlight>& flight, JobControl& control, const Work& work);

    std::mutex _mutex;
    std::map<std::string, std::shared_ptr<InFlight>> _inFlight;
};

} // namespace comfygate::modeldownload
