#include "UserFolderImport.h"

#include "UserDataName.h"
#include "UserFileStore.h"
#include "WorkflowLibrary.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace comfygate::userdata {
namespace {

/// True when `path` (canonical) is `root` (canonical) or lies below it.
bool inside(const fs::path& path, const fs::path& root)
{
    const std::string p = path.string();
    const std::string r = root.string();
    return p == r || (p.size() > r.size() && p.compare(0, r.size(), r) == 0 && (r.back() == '/' || p[r.size()] == '/'));
}

std::string mib(std::int64_t bytes)
{
    return std::to_string(bytes / (1024 * 1024));
}

/// The whole file, refusing anything but a regular file and anything over `limit` bytes.
/// Returns false with `reason` set when the file is refused.
bool readLimited(const fs::path& path, std::int64_t limit, std::string& content, std::int64_t& size,
                 std::string& reason)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        reason = std::string("cannot read it: ") + std::strerror(errno);
        return false;
    }
    struct stat info
    {
    };
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        reason = "not a regular file";
        return false;
    }
    size = static_cast<std::int64_t>(info.st_size);
    if (size > limit) {
        ::close(fd);
        reason = "too large: " + UserFolderImport::formatSize(size) + ", the limit is " + mib(limit) +
                 " MiB (userdata.max_file_mb)";
        return false;
    }
    content.clear();
    char buffer[65536];
    while (true) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            reason = std::string("cannot read it: ") + std::strerror(errno);
            ::close(fd);
            return false;
        }
        if (got == 0)
            break;
        content.append(buffer, static_cast<std::size_t>(got));
        if (static_cast<std::int64_t>(content.size()) > limit) { // it grew while we read
            ::close(fd);
            reason = "too large: more than " + mib(limit) + " MiB (userdata.max_file_mb)";
            return false;
        }
    }
    ::close(fd);
    size = static_cast<std::int64_t>(content.size());
    return true;
}

} // namespace

std::string UserFolderImport::formatSize(std::int64_t bytes)
{
    char text[32];
    if (bytes < 1024)
        std::snprintf(text, sizeof text, "%lld B", static_cast<long long>(bytes));
    else if (bytes < 1024 * 1024)
        std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
    else
        std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return text;
}

std::vector<UserFolderImport::Candidate> UserFolderImport::collect(const fs::path& rootPath) const
{
    std::error_code error;
    const fs::path root = fs::canonical(rootPath, error);
    if (error)
        throw std::runtime_error("cannot read " + rootPath.string() + ": " + error.message());
    if (!fs::is_directory(root))
        throw std::runtime_error(rootPath.string() + " is not a directory");

    std::vector<Candidate> found;
    const std::function<void(const fs::path&, const std::string&)> walk = [&](const fs::path& directory,
                                                                              const std::string& prefix) {
        std::vector<fs::directory_entry> entries;
        std::error_code listError;
        for (fs::directory_iterator it(directory, listError), end; !listError && it != end; it.increment(listError))
            entries.push_back(*it);
        if (listError) {
            found.push_back({prefix.empty() ? "." : prefix, {}, "cannot list it: " + listError.message()});
            return;
        }
        std::sort(entries.begin(), entries.end(),
                  [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
        for (const auto& entry : entries) {
            const std::string leaf = entry.path().filename().string();
            const std::string name = prefix + leaf;
            std::error_code statError;
            const fs::file_status status = entry.symlink_status(statError);
            if (leaf.front() == '.') {
                Candidate hidden{name + (fs::is_directory(status) ? "/" : ""), {}, {}};
                hidden.hidden = true;
                found.push_back(hidden);
                continue;
            }
            if (fs::is_symlink(status)) {
                std::error_code resolveError;
                const fs::path target = fs::canonical(entry.path(), resolveError);
                if (resolveError)
                    found.push_back({name, {}, "a symlink that leads nowhere"});
                else if (!inside(target, root))
                    found.push_back({name, {}, "a symlink that leaves the folder (not followed)"});
                else if (fs::is_directory(target))
                    found.push_back({name + "/", {}, "a symlinked folder (not followed)"});
                else if (!fs::is_regular_file(target))
                    found.push_back({name, {}, "not a regular file"});
                else
                    found.push_back({name, target, {}});
            } else if (fs::is_directory(status)) {
                walk(entry.path(), name + "/");
            } else if (fs::is_regular_file(status)) {
                found.push_back({name, entry.path(), {}});
            } else {
                found.push_back(
                    {name, {}, statError ? "cannot read it: " + statError.message() : "not a regular file"});
            }
        }
    };
    walk(root, "");
    return found;
}

ImportOutcome UserFolderImport::importOne(const Candidate& candidate, const Options& options)
{
    ImportOutcome outcome;
    outcome.path = candidate.name;
    const auto skip = [&](ImportOutcome::Kind kind, std::string reason) {
        outcome.kind = kind;
        outcome.reason = std::move(reason);
        return outcome;
    };
    if (candidate.hidden)
        return skip(ImportOutcome::Kind::Skipped, "hidden");
    if (options.workflowsOnly && !WorkflowLibrary::isWorkflow(candidate.name))
        return skip(ImportOutcome::Kind::Skipped, "not a workflow (--global imports workflows/ only)");
    if (!candidate.refusal.empty())
        return skip(ImportOutcome::Kind::Refused, candidate.refusal);
    if (UserDataName::check(candidate.name) != UserDataName::Verdict::Valid)
        return skip(ImportOutcome::Kind::Refused, "invalid name (no backslash or control character, segments of at "
                                                  "most 255 bytes, 1024 in all)");

    std::string content, reason;
    if (!readLimited(candidate.source, _store.limits().maxFileBytes, content, outcome.size, reason))
        return skip(ImportOutcome::Kind::Refused, reason);
    try {
        WorkflowLibrary::validate(candidate.name, content); // the rules an upload meets
    } catch (const InvalidContent& error) {
        return skip(ImportOutcome::Kind::Refused, error.what());
    }
    try {
        const auto result = _store.write(options.owner, candidate.name, content, options.overwrite, options.actor,
                                         candidate.name != WorkflowLibrary::settingsFile);
        if (result == UserFileStore::WriteResult::AlreadyExists)
            return skip(ImportOutcome::Kind::Skipped, "exists (--overwrite replaces it)");
    } catch (const QuotaExceeded& error) {
        return skip(ImportOutcome::Kind::Refused, error.what());
    }
    return outcome;
}

std::vector<ImportOutcome> UserFolderImport::run(const Options& options,
                                                 const std::function<void(const ImportOutcome&)>& report)
{
    std::vector<ImportOutcome> outcomes;
    for (const Candidate& candidate : collect(options.from)) {
        outcomes.push_back(importOne(candidate, options));
        if (report)
            report(outcomes.back());
    }
    return outcomes;
}

} // namespace comfygate::userdata
