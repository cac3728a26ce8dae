#include "DataDirectoryLock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/file.h>
#include <unistd.h>

namespace comfygate {

DataDirectoryLock::DataDirectoryLock(const std::string& dataDir) : _path(dataDir + "/comfygate.lock")
{
    _fd = ::open(_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (_fd < 0)
        throw std::runtime_error("cannot open the lock file " + _path + ": " + std::strerror(errno));
    if (::flock(_fd, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        const std::string pid = error == EWOULDBLOCK ? holderPid() : std::string();
        ::close(_fd);
        _fd = -1;
        if (error != EWOULDBLOCK)
            throw std::runtime_error("cannot lock " + _path + ": " + std::strerror(error));
        throw std::runtime_error("the data directory " + dataDir + " is in use by another comfygate serve (PID " +
                                 (pid.empty() ? std::string("unknown") : pid) +
                                 "); stop that process first, or give this one its own --data-dir");
    }
    // The PID is for the message above; the lock itself is the flock, not the file's content.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(_fd, 0) != 0 || ::pwrite(_fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        const std::string reason = std::strerror(errno);
        ::close(_fd);
        throw std::runtime_error("cannot write the lock file " + _path + ": " + reason);
    }
}

DataDirectoryLock::~DataDirectoryLock()
{
    if (_fd >= 0)
        ::close(_fd); // releases the flock; the file stays so the next start reuses it
}

std::string DataDirectoryLock::holderPid() const
{
    char text[32] = {};
    const ssize_t got = ::pread(_fd, text, sizeof text - 1, 0);
    std::string pid(text, got > 0 ? static_cast<std::size_t>(got) : 0);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
        pid.pop_back();
    return pid;
}

} // namespace comfygate
