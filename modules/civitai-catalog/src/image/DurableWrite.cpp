#include "DurableWrite.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace comfygate::civitaicatalog {

namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path)
{
    throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

void syncDirectory(const std::filesystem::path& directory)
{
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        fail("cannot open directory", directory);
    const int result = ::fsync(fd);
    ::close(fd);
    if (result != 0)
        fail("cannot sync directory", directory);
}

} // namespace

void DurableWrite::replace(const std::filesystem::path& target, const std::string& content)
{
    const auto directory = target.parent_path();
    std::filesystem::create_directories(directory);
    std::string pattern = (directory / ("." + target.filename().string() + ".XXXXXX")).string();
    const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0)
        fail("cannot create a temp file for", target);
    const std::filesystem::path temp = pattern;
    std::size_t written = 0;
    while (written < content.size()) {
        const auto n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ::close(fd);
            std::filesystem::remove(temp);
            fail("cannot write", temp);
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        std::filesystem::remove(temp);
        fail("cannot sync", temp);
    }
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        std::filesystem::remove(temp);
        fail("cannot rename onto", target);
    }
    syncDirectory(directory);
}

} // namespace comfygate::civitaicatalog
