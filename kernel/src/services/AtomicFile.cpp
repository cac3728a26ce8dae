#include "comfygate/AtomicFile.h"

#include <Poco/Path.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdexcept>
#include <unistd.h>

namespace comfygate {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path)
{
    throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

} // namespace

void AtomicFile::syncDirectory(const std::string& directory)
{
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        fail("cannot open directory", directory);
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0)
        fail("cannot sync directory", directory);
}

void AtomicFile::write(const std::string& path, const std::string& content, mode_t mode)
{
    const std::string directory = Poco::Path(path).makeParent().toString();
    std::string temp = path + ".tmp-XXXXXX";
    const int fd = ::mkstemp(temp.data());
    if (fd < 0)
        fail("cannot create a temporary file for", path);
    bool ok = ::fchmod(fd, mode) == 0;
    std::size_t written = 0;
    while (ok && written < content.size()) {
        const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        if (ok)
            written += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    const int savedErrno = errno;
    ::close(fd);
    if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
        errno = ok ? errno : savedErrno;
        const int keep = errno;
        ::unlink(temp.c_str());
        errno = keep;
        fail("cannot write", path);
    }
    syncDirectory(directory.empty() ? "." : directory);
}

} // namespace comfygate
