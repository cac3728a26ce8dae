#pragma once

#include <string>

namespace comfygate {

/// Keeps one serving process per data directory: an exclusive `flock` on
/// `<data dir>/comfygate.lock`, which holds the owner's PID. The kernel drops the lock when the
/// process ends in any way (kill -9 included), so it never goes stale.
class DataDirectoryLock
{
public:
    /// Takes the lock or throws std::runtime_error naming the directory and the PID holding it.
    explicit DataDirectoryLock(const std::string& dataDir);
    ~DataDirectoryLock();

    DataDirectoryLock(const DataDirectoryLock&) = delete;
    DataDirectoryLock& operator=(const DataDirectoryLock&) = delete;

    const std::string& path() const { return _path; }

private:
    std::string holderPid() const;

    std::string _path;
    int _fd = -1;
};

} // namespace comfygate
