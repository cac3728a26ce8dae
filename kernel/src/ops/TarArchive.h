#pragma once

#include <functional>
#include <string>
#include <sys/types.h>

struct archive;

namespace comfygate {

/// Writes a POSIX (pax) tar stream to an open file descriptor with libarchive: regular files
/// only, each read from disk (or a descriptor) and passed through `observe` as it is copied,
/// so the caller can checksum exactly the bytes that went into the archive.
class TarWriter
{
public:
    using Observer = std::function<void(const char* data, std::size_t size)>;

    explicit TarWriter(int fd);
    ~TarWriter();
    TarWriter(const TarWriter&) = delete;
    TarWriter& operator=(const TarWriter&) = delete;

    /// Adds the content of `sourceFd` (read from offset 0 to its end) as `name`.
    void addFile(const std::string& name, int sourceFd, mode_t mode, const Observer& observe = {});
    /// Adds `size` bytes at `data` as `name`.
    void addData(const std::string& name, const char* data, std::size_t size, mode_t mode,
                 const Observer& observe = {});
    /// Writes the end-of-archive blocks. Throws on a write error.
    void finish();

private:
    void check(int status, const std::string& what);
    void header(const std::string& name, long long size, mode_t mode, time_t mtime);

    ::archive* _archive;
};

/// Reads a tar file entry by entry and refuses anything that could escape the directory it is
/// extracted to: absolute names, `..` components, and every entry type but regular files.
class TarReader
{
public:
    struct Entry
    {
        std::string name;
        mode_t mode = 0;
        long long size = 0;
    };

    explicit TarReader(const std::string& path);
    ~TarReader();
    TarReader(const TarReader&) = delete;
    TarReader& operator=(const TarReader&) = delete;

    /// The next entry, or false at the end. Throws std::runtime_error naming an unsafe entry.
    bool next(Entry& entry);
    /// Copies the current entry's data to `fd`, passing each block to `observe`.
    void copyTo(int fd, const TarWriter::Observer& observe);
    /// The current entry's data as a string (for small entries such as a manifest).
    std::string readText();

private:
    void read(const TarWriter::Observer& sink);

    ::archive* _archive;
    std::string _path;
};

} // namespace comfygate
