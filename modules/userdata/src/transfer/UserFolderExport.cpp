#include "UserFolderExport.h"

#include "UserDataName.h"
#include "UserFileStore.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace comfygate::userdata {
namespace {

std::runtime_error systemError(const std::string& what, const fs::path& path)
{
    return std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

void syncDirectory(const fs::path& directory)
{
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        throw systemError("cannot open", directory);
    const int result = ::fsync(fd);
    ::close(fd);
    if (result != 0)
        throw systemError("cannot fsync", directory);
}

/// Creates `relative`'s folders below `root` one by one, refusing a symlink or a file in the way.
fs::path makeDirectories(const fs::path& root, const fs::path& relative)
{
    fs::path current = root;
    for (const auto& part : relative) {
        current /= part;
        struct stat info
        {
        };
        if (::lstat(current.c_str(), &info) == 0) {
            if (S_ISLNK(info.st_mode))
                throw std::runtime_error(current.string() + " is a symlink: not written through");
            if (!S_ISDIR(info.st_mode))
                throw std::runtime_error(current.string() + " exists and is not a directory");
            continue;
        }
        if (::mkdir(current.c_str(), 0755) != 0 && errno != EEXIST)
            throw systemError("cannot create", current);
        syncDirectory(current.parent_path());
    }
    return current;
}

} // namespace

void UserFolderExport::writeAtomically(const fs::path& path, const std::string& content)
{
    struct stat existing
    {
    };
    if (::lstat(path.c_str(), &existing) == 0 && S_ISDIR(existing.st_mode))
        throw std::runtime_error(path.string() + " is a directory");
    std::string pattern = (path.parent_path() / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
    const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0)
        throw systemError("cannot create a temporary file for", path);
    const fs::path temporary = pattern;
    try {
        if (::fchmod(fd, 0644) != 0)
            throw systemError("cannot chmod", temporary);
        std::size_t done = 0;
        while (done < content.size()) {
            const ssize_t wrote = ::write(fd, content.data() + done, content.size() - done);
            if (wrote < 0 && errno == EINTR)
                continue;
            if (wrote < 0)
                throw systemError("cannot write", temporary);
            done += static_cast<std::size_t>(wrote);
        }
        if (::fsync(fd) != 0)
            throw systemError("cannot fsync", temporary);
        if (::close(fd) != 0) {
            ::unlink(temporary.c_str());
            throw systemError("cannot close", temporary);
        }
    } catch (...) {
        ::close(fd);
        ::unlink(temporary.c_str());
        throw;
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int saved = errno;
        ::unlink(temporary.c_str());
        errno = saved;
        throw systemError("cannot rename to", path);
    }
    syncDirectory(path.parent_path());
}

std::vector<ExportOutcome> UserFolderExport::run(const std::string& owner, const std::string& directory,
                                                 const fs::path& to,
                                                 const std::function<void(const ExportOutcome&)>& report)
{
    std::error_code error;
    const auto status = fs::status(to, error);
    if (fs::exists(status) && !fs::is_directory(status))
        throw std::runtime_error(to.string() + " exists and is not a directory: name a new or existing directory");
    if (!fs::exists(status)) {
        fs::create_directories(to, error);
        if (error)
            throw std::runtime_error("cannot create " + to.string() + ": " + error.message());
    }

    std::vector<ExportOutcome> outcomes;
    for (const StoredFileInfo& info : _store.list(owner, directory, true)) {
        ExportOutcome outcome;
        outcome.path = info.path;
        outcome.size = info.size;
        try {
            if (UserDataName::check(info.path) != UserDataName::Verdict::Valid)
                throw std::runtime_error("not a confined name");
            const auto content = _store.read(owner, info.path);
            if (!content)
                throw std::runtime_error("deleted while exporting");
            outcome.size = static_cast<std::int64_t>(content->size());
            const fs::path relative(info.path);
            const fs::path directory = makeDirectories(to, relative.parent_path());
            writeAtomically(directory / relative.filename(), *content);
        } catch (const std::exception& failure) {
            outcome.error = failure.what();
        }
        outcomes.push_back(outcome);
        if (report)
            report(outcomes.back());
    }
    return outcomes;
}

} // namespace comfygate::userdata
