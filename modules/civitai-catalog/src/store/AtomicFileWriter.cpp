#include "AtomicFileWriter.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace comfygate::civitaicatalog {

namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path)
{
    throw std::runtime_error("cannot " + what + " " + path.string() + ": " + std::strerror(errno));
}

class FileDescriptor
{
public:
    explicit FileDescriptor(int fd) : _fd(fd) {}
    ~FileDescriptor()
    {
        if (_fd >= 0)
            ::close(_fd);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return _fd; }
    int release()
    {
        const int fd = _fd;
        _fd = -1;
        return fd;
    }

private:
    int _fd;
};

} // namespace

void AtomicFileWriter::write(const std::filesystem::path& target, const std::string& content)
{
    const std::filesystem::path directory = target.parent_path();
    std::filesystem::create_directories(directory);
    std::string pattern = (directory / ("." + target.filename().string() + ".XXXXXX")).string();
    FileDescriptor file(::mkstemp(pattern.data()));
    const std::filesystem::path temp = pattern;
    if (file.get() < 0)
        fail("create a temp file for", target);
    try {
        const char* data = content.data();
        std::size_t left = content.size();
        while (left > 0) {
            const ssize_t written = ::write(file.get(), data, left);
            if (written < 0 && errno == EINTR)
                continue;
            if (written < 0)
                fail("write", temp);
            data += written;
            left -= static_cast<std::size_t>(written);
        }
        if (::fchmod(file.get(), 0644) != 0 || ::fsync(file.get()) != 0)
            fail("sync", temp);
        if (::close(file.release()) != 0)
            fail("close", temp);
        if (::rename(temp.c_str(), target.c_str()) != 0)
            fail("rename over", target);
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(temp, ignored);
        throw;
    }
    FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY));
    if (dir.get() < 0 || ::fsync(dir.get()) != 0)
        fail("sync the directory of", target);
}

} // namespace comfygate::civitaicatalog
