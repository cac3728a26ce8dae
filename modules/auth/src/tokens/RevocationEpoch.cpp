#include "RevocationEpoch.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace comfygate::auth {
namespace {

constexpr off_t fileSize = sizeof(std::uint64_t);

std::runtime_error failure(const std::string& what, const std::string& path)
{
    return std::runtime_error("revocation epoch " + path + ": " + what + ": " + std::strerror(errno));
}

} // namespace

RevocationEpoch::RevocationEpoch() = default;

RevocationEpoch::RevocationEpoch(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        throw failure("cannot open", path);
    struct stat status {};
    // Grow a new (empty) file to the counter's size; never shrink, so no mapping can SIGBUS.
    if (::fstat(fd, &status) != 0 || (status.st_size < fileSize && ::ftruncate(fd, fileSize) != 0)) {
        const auto error = failure("cannot size", path);
        ::close(fd);
        throw error;
    }
    void* mapping = ::mmap(nullptr, fileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (mapping == MAP_FAILED)
        throw failure("cannot map", path);
    _mapping = mapping;
    _counter = static_cast<std::atomic<std::uint64_t>*>(mapping);
}

RevocationEpoch::~RevocationEpoch()
{
    if (_mapping)
        ::munmap(_mapping, fileSize);
}

} // namespace comfygate::auth
