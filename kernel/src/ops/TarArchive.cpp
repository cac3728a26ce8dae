#include "TarArchive.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace comfygate {

namespace {

using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

void writeAll(int fd, const char* data, std::size_t size)
{
    while (size > 0) {
        const ssize_t written = ::write(fd, data, size);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            throw std::runtime_error(std::string("cannot write: ") + std::strerror(errno));
        data += written;
        size -= static_cast<std::size_t>(written);
    }
}

/// An archive entry name is safe when it is relative and none of its components is `..`
/// (or empty, which `a//b` would hide).
bool confined(const std::string& name)
{
    if (name.empty() || name[0] == '/')
        return false;
    std::size_t start = 0;
    while (start <= name.size()) {
        const std::size_t end = name.find('/', start);
        const std::string part = name.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (part.empty() || part == ".." || part == ".")
            return false;
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return true;
}

} // namespace

TarWriter::TarWriter(int fd) : _archive(archive_write_new())
{
    check(archive_write_set_format_pax_restricted(_archive), "choose the tar format");
    check(archive_write_open_fd(_archive, fd), "open the archive");
}

TarWriter::~TarWriter() { archive_write_free(_archive); }

void TarWriter::check(int status, const std::string& what)
{
    if (status < ARCHIVE_WARN)
        throw std::runtime_error("cannot " + what + ": " + archive_error_string(_archive));
}

void TarWriter::header(const std::string& name, long long size, mode_t mode, time_t mtime)
{
    EntryPtr entry(archive_entry_new(), &archive_entry_free);
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), mode & 07777);
    archive_entry_set_size(entry.get(), size);
    archive_entry_set_mtime(entry.get(), mtime, 0);
    check(archive_write_header(_archive, entry.get()), "add " + name);
}

void TarWriter::addFile(const std::string& name, int sourceFd, mode_t mode, const Observer& observe)
{
    struct stat info {};
    if (::fstat(sourceFd, &info) != 0)
        throw std::runtime_error("cannot stat " + name + ": " + std::strerror(errno));
    header(name, info.st_size, mode, info.st_mtime);
    std::vector<char> buffer(1 << 16);
    off_t offset = 0;
    while (offset < info.st_size) {
        const ssize_t got = ::pread(sourceFd, buffer.data(), buffer.size(), offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            throw std::runtime_error("cannot read " + name + ": " + (got < 0 ? std::strerror(errno) : "file shrank"));
        const std::size_t take = static_cast<std::size_t>(std::min<off_t>(got, info.st_size - offset));
        if (archive_write_data(_archive, buffer.data(), take) < 0)
            check(ARCHIVE_FATAL, "write " + name);
        if (observe)
            observe(buffer.data(), take);
        offset += static_cast<off_t>(take);
    }
    check(archive_write_finish_entry(_archive), "finish " + name);
}

void TarWriter::addData(const std::string& name, const char* data, std::size_t size, mode_t mode,
                        const Observer& observe)
{
    header(name, static_cast<long long>(size), mode, ::time(nullptr));
    constexpr std::size_t chunk = 1 << 16;
    for (std::size_t offset = 0; offset < size; offset += chunk) {
        const std::size_t take = std::min(chunk, size - offset);
        if (archive_write_data(_archive, data + offset, take) < 0)
            check(ARCHIVE_FATAL, "write " + name);
        if (observe)
            observe(data + offset, take);
    }
    check(archive_write_finish_entry(_archive), "finish " + name);
}

void TarWriter::finish() { check(archive_write_close(_archive), "finish the archive"); }

TarReader::TarReader(const std::string& path) : _archive(archive_read_new()), _path(path)
{
    archive_read_support_format_tar(_archive);
    if (archive_read_open_filename(_archive, path.c_str(), 1 << 16) != ARCHIVE_OK) {
        const std::string reason = archive_error_string(_archive);
        archive_read_free(_archive);
        throw std::runtime_error("cannot read the archive " + path + ": " + reason);
    }
}

TarReader::~TarReader() { archive_read_free(_archive); }

bool TarReader::next(Entry& entry)
{
    archive_entry* header = nullptr;
    const int status = archive_read_next_header(_archive, &header);
    if (status == ARCHIVE_EOF)
        return false;
    if (status < ARCHIVE_WARN)
        throw std::runtime_error("the archive " + _path + " is damaged: " + archive_error_string(_archive));
    entry.name = archive_entry_pathname(header) ? archive_entry_pathname(header) : "";
    entry.mode = archive_entry_perm(header);
    entry.size = archive_entry_size(header);
    if (!confined(entry.name))
        throw std::runtime_error("the archive " + _path + " has an entry outside its directory ('" + entry.name +
                                 "'): refused, nothing was restored");
    if (archive_entry_filetype(header) != AE_IFREG || archive_entry_hardlink(header) != nullptr)
        throw std::runtime_error("the archive " + _path + " has an entry that is not a regular file ('" + entry.name +
                                 "', e.g. a link): refused, nothing was restored");
    return true;
}

std::string TarReader::readText()
{
    std::string text;
    read([&text](const char* data, std::size_t size) { text.append(data, size); });
    return text;
}

void TarReader::copyTo(int fd, const TarWriter::Observer& observe)
{
    read([fd, &observe](const char* data, std::size_t size) {
        writeAll(fd, data, size);
        if (observe)
            observe(data, size);
    });
}

void TarReader::read(const TarWriter::Observer& sink)
{
    std::vector<char> buffer(1 << 16);
    while (true) {
        const la_ssize_t got = archive_read_data(_archive, buffer.data(), buffer.size());
        if (got == 0)
            return;
        if (got < 0)
            throw std::runtime_error("the archive " + _path + " is damaged: " + archive_error_string(_archive));
        sink(buffer.data(), static_cast<std::size_t>(got));
    }
}

} // namespace comfygate
