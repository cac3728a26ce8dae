#include "DurableFile.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace comfygate::modeldownload {

std::runtime_error DurableFile::systemError(const std::string& what, const std::filesystem::path& path)
{
    return std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

void DurableFile::writeAll(int fd, const char* data, std::size_t size, const std::filesystem::path& path)
{
    std::size_t written = 0;
    while (written < size) {
        const ssize_t n = ::write(fd, data + written, size - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw systemError("cannot write", path);
        written += static_cast<std::size_t>(n);
    }
}

void DurableFile::sync(int fd, const std::filesystem::path& path)
{
    if (::fsync(fd) != 0)
        throw systemError("cannot fsync", path);
}

void DurableFile::syncDirectory(const std::filesystem::path& directory)
{
    const std::filesystem::path name = directory.empty() ? std::filesystem::path(".") : directory;
    const int fd = ::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        throw systemError("cannot open directory", name);
    const int result = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    errno = error;
    if (result != 0)
        throw systemError("cannot fsync directory", name);
}

void DurableFile::renameNoReplace(const std::filesystem::path& from, const std::filesystem::path& to)
{
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0)
        return;
    if (errno != EINVAL && errno != ENOSYS)
        throw systemError("cannot publish as", to);
    // Filesystems without RENAME_NOREPLACE: link() refuses an existing target just the same.
    if (::link(from.c_str(), to.c_str()) != 0)
        throw systemError("cannot publish as", to);
    ::unlink(from.c_str());
}

} // namespace comfygate::modeldownload
