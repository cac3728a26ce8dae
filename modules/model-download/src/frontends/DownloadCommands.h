#pragma once

#include "comfygate/CliWords.h"

#include "DownloadJobStore.h"
#include "DownloadRequestParser.h"
#include "JobSubmission.h"

#include <chrono>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace comfygate {
class Audit;
class CliRegistry;
class PermissionRegistry;
class ServiceRegistry;
namespace services {
struct UserInfo;
}
} // namespace comfygate

namespace comfygate::modeldownload {

/// `comfygate download ...`: queue a CivitAI or Hugging Face download for a user from the
/// server's shell, list and cancel jobs, and follow one with a live progress bar. The CLI
/// starts the kernel and the modules but no HTTP server, so a queued job waits for a server
/// (or for `--follow`, which runs the queue in this process until the job ends).
class DownloadCommands
{
public:
    DownloadCommands(const DownloadRequestParser& parser, JobSubmission& submission, DownloadJobStore& store,
                     DownloadQueue& queue, PermissionRegistry& permissions, ServiceRegistry& services, Audit& audit)
        : _parser(parser), _submission(submission), _store(store), _queue(queue), _permissions(permissions),
          _services(services), _audit(audit)
    {
    }

    void registerAll(CliRegistry& cli);

    /// How often --follow reads the job.
    std::chrono::milliseconds pollInterval{200};

private:
    using Words = CliWords;
    int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
    int queue(const std::string& source, const Words& words, std::ostream& out, std::ostream& err);
    int list(const Words& words, std::ostream& out, std::ostream& err);
    int cancel(const Words& words, std::ostream& out, std::ostream& err);
    int follow(const std::string& jobId, std::ostream& err);

    static Words parse(const std::vector<std::string>& args);
    /// The --user, else the owner, else the first admin; nothing (and a message) if none.
    std::optional<services::UserInfo> user(const Words& words, std::ostream& err);

    const DownloadRequestParser& _parser;
    JobSubmission& _submission;
    DownloadJobStore& _store;
    DownloadQueue& _queue;
    PermissionRegistry& _permissions;
    ServiceRegistry& _services;
    Audit& _audit;
};

} // namespace comfygate::modeldownload
