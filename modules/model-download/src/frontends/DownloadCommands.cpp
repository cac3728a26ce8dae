#include "DownloadCommands.h"

#include "ProgressBar.h"
#include "comfygate/Audit.h"
#include "comfygate/Cli.h"
#include "comfygate/HttpError.h"
#include "comfygate/Permissions.h"
#include "comfygate/ServiceRegistry.h"
#include "comfygate/services/UserDirectory.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <ostream>
#include <set>
#include <thread>
#include <unistd.h>

namespace comfygate::modeldownload {
namespace {

const char* usage =
    "comfygate download civitai VERSION_ID [--folder FOLDER] [--type T] [--format F] [--size S] [--fp P]\n"
    "                           [--host HOST] [--user NAME] [--follow]\n"
    "comfygate download hf REPO FILE [--revision R] [--subfolder S] [--folder FOLDER] [--user NAME] [--follow]\n"
    "comfygate download list [--user NAME | --all] [--json]\n"
    "comfygate download follow JOB_ID\n"
    "comfygate download cancel JOB_ID\n\n"
    "Queues a model download for a user, exactly like MSS-Login's POST download: the same checks\n"
    "(folder, file names, the user's stored API key when the source needs one, the download\n"
    "policy, the per-user cap) and the same queue. The job belongs to --user NAME, by default the\n"
    "owner (else the first admin); the user needs can_download_models.\n\n"
    "Without --follow the job waits in the database for the running server. With --follow this\n"
    "process runs the queue itself and draws the job's progress on stderr (percent, MB/s, ETA;\n"
    "plain lines when stderr is not a terminal) until it ends: exit status 0 when it completed,\n"
    "1 when it failed or was cancelled. Ctrl-C leaves the job to be resumed by the server.\n\n"
    "FOLDER is one of downloads.folders (default: the first, checkpoints). --type/--format/--size/--fp\n"
    "pick one file of a CivitAI version (e.g. --format SafeTensor --fp fp16); without them, the primary\n"
    "file. FILE is the path inside the Hugging Face repository; --revision defaults to main.";

std::string detail(const DownloadJob& job)
{
    if (job.status == JobStatus::Failed)
        return job.error;
    if (!job.destination.empty())
        return job.destination;
    return job.request.source == "civitai" ? "civitai " + job.request.modelVersionId
                                           : job.request.repoId + " " + job.request.filename;
}

} // namespace

void DownloadCommands::registerAll(CliRegistry& cli)
{
    cli.add({"download", "queue, list, follow and cancel model downloads (CivitAI, Hugging Face)", usage,
             [this](const std::vector<std::string>& args, std::istream&, std::ostream& out, std::ostream& err) {
                 return run(args, out, err);
             }});
}

DownloadCommands::Words DownloadCommands::parse(const std::vector<std::string>& args)
{
    static const std::set<std::string> switches{"--follow", "--all", "--json"};
    static const std::set<std::string> options{"--folder", "--type", "--format",   "--size",     "--fp",
                                               "--host",   "--user", "--revision", "--subfolder"};
    return CliWords::parse(args, switches, options);
}

int DownloadCommands::run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    try {
        const Words words = parse(args);
        const std::string action = words.positional.empty() ? "" : words.positional.front();
        if (action == "civitai" && words.positional.size() == 2)
            return queue("civitai", words, out, err);
        if (action == "hf" && words.positional.size() == 3)
            return queue("huggingface", words, out, err);
        if (action == "list" && words.positional.size() == 1)
            return list(words, out, err);
        if (action == "cancel" && words.positional.size() == 2)
            return cancel(words, out, err);
        if (action == "follow" && words.positional.size() == 2) {
            if (!_store.find(words.positional[1])) {
                err << "no download job " << words.positional[1] << "\n";
                return 1;
            }
            _queue.start();
            return follow(words.positional[1], err);
        }
        err << "usage:\n" << usage << "\n";
        return 2;
    } catch (const std::invalid_argument& error) {
        err << error.what() << "\nusage:\n" << usage << "\n";
        return 2;
    } catch (const HttpError& error) {
        err << error.what() << "\n";
        return 1;
    } catch (const std::exception& error) {
        err << error.what() << "\n";
        return 1;
    }
}

std::optional<services::UserInfo> DownloadCommands::user(const Words& words, std::ostream& err)
{
    const auto users = _services.find<services::UserDirectory>(services::UserDirectory::serviceName);
    if (!users) {
        err << "downloads belong to users: enable the auth module\n";
        return std::nullopt;
    }
    const auto named = words.flags.find("--user");
    if (named != words.flags.end()) {
        auto found = users->findByName(named->second);
        if (!found)
            err << "no user named " << named->second << "\n";
        return found;
    }
    const auto all = users->list();
    for (const char* role : {"owner", "admin"}) {
        for (const auto& candidate : all) {
            if (candidate.role == role)
                return candidate;
        }
    }
    err << "there is no owner or admin yet: add one with `comfygate user add`, or name a user with --user\n";
    return std::nullopt;
}

int DownloadCommands::queue(const std::string& source, const Words& words, std::ostream& out, std::ostream& err)
{
    const auto owner = user(words, err);
    if (!owner)
        return 1;
    if (!_permissions.effective(owner->username, owner->role, owner->groups).count("can_download_models")) {
        err << owner->username << " does not hold can_download_models\n";
        return 1;
    }

    // The same body MSS-Login's POST download takes, so the same parser validates it.
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("source", source);
    const auto flag = [&](const char* name, const char* field) {
        const auto found = words.flags.find(name);
        if (found != words.flags.end())
            body->set(field, found->second);
    };
    flag("--folder", "folder_type");
    if (source == "civitai") {
        body->set("model_version_id", words.positional[1]);
        flag("--type", "type");
        flag("--format", "format");
        flag("--size", "size");
        flag("--fp", "fp");
        flag("--host", "civitai_host");
    } else {
        body->set("repo_id", words.positional[1]);
        body->set("filename", words.positional[2]);
        flag("--revision", "revision");
        flag("--subfolder", "subfolder");
    }
    DownloadRequest request = _parser.parse(body);
    request.requester = DownloadSubject{owner->id, owner->username, owner->role, owner->groups};
    _submission.check(request, owner->id);
    const DownloadJob job = _submission.insert(request, owner->id, "cli", "");
    out << "queued download job " << job.id << " for " << owner->username << " (" << request.folderType << ")\n"
        << std::flush;
    if (!words.flags.count("--follow"))
        return 0;
    _queue.start(); // this process runs the queue while it follows the job
    return follow(job.id, err);
}

int DownloadCommands::follow(const std::string& jobId, std::ostream& err)
{
    ProgressBar bar(err, ::isatty(STDERR_FILENO) == 1);
    while (true) {
        const auto job = _store.find(jobId);
        if (!job) {
            err << "download job " << jobId << " disappeared\n";
            return 1;
        }
        if (isFinished(job->status)) {
            bar.finish(*job);
            return job->status == JobStatus::Completed ? 0 : 1;
        }
        bar.update(*job);
        std::this_thread::sleep_for(pollInterval);
    }
}

int DownloadCommands::list(const Words& words, std::ostream& out, std::ostream& err)
{
    std::vector<services::UserInfo> owners;
    if (words.flags.count("--all")) {
        const auto users = _services.find<services::UserDirectory>(services::UserDirectory::serviceName);
        if (!users) {
            err << "downloads belong to users: enable the auth module\n";
            return 1;
        }
        owners = users->list();
    } else {
        const auto owner = user(words, err);
        if (!owner)
            return 1;
        owners.push_back(*owner);
    }
    const bool json = words.flags.count("--json") != 0;
    Poco::JSON::Array::Ptr rows = new Poco::JSON::Array;
    if (!json)
        out << "JOB\tUSER\tSTATUS\tPROGRESS\tSOURCE\tDETAIL\n";
    for (const auto& owner : owners) {
        for (const auto& job : _store.listForUser(owner.id, 200)) {
            const std::string progress = ProgressBar::describe(job, 0).substr(0, 6);
            if (!json) {
                out << job.id << "\t" << owner.username << "\t" << toString(job.status) << "\t" << progress << "\t"
                    << job.request.source << "\t" << detail(job) << "\n";
                continue;
            }
            Poco::JSON::Object::Ptr row = new Poco::JSON::Object;
            row->set("job", job.id);
            row->set("user", owner.username);
            row->set("status", toString(job.status));
            row->set("progress", progress);
            row->set("source", job.request.source);
            row->set("detail", detail(job));
            rows->add(row);
        }
    }
    if (json) {
        Poco::JSON::Object::Ptr document = new Poco::JSON::Object;
        document->set("downloads", rows);
        document->stringify(out, 2);
        out << "\n";
    }
    return 0;
}

int DownloadCommands::cancel(const Words& words, std::ostream& out, std::ostream& err)
{
    const std::string& jobId = words.positional[1];
    const auto job = _store.find(jobId);
    if (!job) {
        err << "no download job " << jobId << "\n";
        return 1;
    }
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    switch (_store.requestCancel(jobId, job->userId, now)) {
    case DownloadJobStore::CancelResult::NotFound:
        err << "no download job " << jobId << "\n";
        return 1;
    case DownloadJobStore::CancelResult::AlreadyFinished:
        err << "the job is already " << toString(job->status) << "\n";
        return 1;
    case DownloadJobStore::CancelResult::Cancelled:
        if (const auto current = _store.find(jobId))
            _queue.publish(*current);
        out << "cancelled " << jobId << "\n";
        break;
    case DownloadJobStore::CancelResult::Requested:
        _queue.cancelRunning(jobId); // when this very process runs it
        out << "cancelling " << jobId << ": the server running it stops it within a second\n";
        break;
    }
    _audit.record({"cli", "download.cancel", jobId, "", ""});
    return 0;
}

} // namespace comfygate::modeldownload
