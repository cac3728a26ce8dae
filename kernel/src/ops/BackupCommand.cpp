#include "BackupCommand.h"

#include "BackupManifest.h"
#include "Kernel.h"
#include "ModuleLoader.h"
#include "OpsCommand.h"
#include "PooledDatabase.h"
#include "SqliteSnapshot.h"
#include "TarArchive.h"
#include "comfygate/AtomicFile.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace comfygate {

const char* kernelVersion();

namespace {

namespace fs = std::filesystem;

/// A descriptor closed on scope exit.
struct Fd
{
    int fd = -1;
    explicit Fd(int value) : fd(value) {}
    ~Fd()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

/// The archive being written: an O_TMPFILE in the target's directory, so a crash leaves no
/// file behind; publish() gives it its name in one rename.
class PendingArchive
{
public:
    explicit PendingArchive(const std::string& target)
        : _target(target), _directory(fs::path(target).parent_path().string())
    {
        _fd = ::open(_directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (_fd < 0)
            throw std::runtime_error("cannot create the backup in " + _directory + ": " + std::strerror(errno) +
                                     " (the directory must exist, be writable and on a local filesystem)");
    }
    ~PendingArchive()
    {
        if (_fd >= 0)
            ::close(_fd);
    }

    int fd() const { return _fd; }

    /// Syncs the data and gives it the target's name: a new target is linked in one step; an
    /// existing one is replaced by linking a temporary name and renaming it over the target
    /// (link cannot replace), the only moment a kill would leave a `.tmp-PID` file.
    long long publish()
    {
        ops::syncFd(_fd, "the backup");
        ::fchmod(_fd, 0600);
        struct stat info {};
        ::fstat(_fd, &info);
        const std::string procPath = "/proc/self/fd/" + std::to_string(_fd);
        if (::linkat(AT_FDCWD, procPath.c_str(), AT_FDCWD, _target.c_str(), AT_SYMLINK_FOLLOW) == 0) {
            AtomicFile::syncDirectory(_directory);
            return static_cast<long long>(info.st_size);
        }
        if (errno != EEXIST)
            throw std::runtime_error("cannot write the backup " + _target + ": " + std::strerror(errno));
        const std::string linkName = _target + ".tmp-" + std::to_string(::getpid());
        ::unlink(linkName.c_str());
        if (::linkat(AT_FDCWD, procPath.c_str(), AT_FDCWD, linkName.c_str(), AT_SYMLINK_FOLLOW) != 0)
            throw std::runtime_error("cannot name the backup " + linkName + ": " + std::strerror(errno));
        if (::rename(linkName.c_str(), _target.c_str()) != 0) {
            const std::string reason = std::strerror(errno);
            ::unlink(linkName.c_str());
            throw std::runtime_error("cannot rename the backup to " + _target + ": " + reason);
        }
        AtomicFile::syncDirectory(_directory);
        return static_cast<long long>(info.st_size);
    }

private:
    std::string _target;
    std::string _directory;
    int _fd = -1;
};

/// Adds files to the archive and records their checksums for the manifest.
class ArchiveContents
{
public:
    ArchiveContents(TarWriter& tar, BackupManifest& manifest, std::ostream& err)
        : _tar(tar), _manifest(manifest), _err(err)
    {
    }

    void add(const std::string& name, int fd, mode_t mode)
    {
        struct stat info {};
        ::fstat(fd, &info);
        progress(name, info.st_size);
        ops::Sha256 sha;
        _tar.addFile(name, fd, mode, [&sha](const char* data, std::size_t size) { sha.add(data, size); });
        _manifest.files[name] = BackupManifest::File{sha.hex(), static_cast<long long>(info.st_size)};
    }

    void add(const std::string& name, const char* data, std::size_t size, mode_t mode)
    {
        progress(name, static_cast<long long>(size));
        ops::Sha256 sha;
        _tar.addData(name, data, size, mode, [&sha](const char* block, std::size_t length) { sha.add(block, length); });
        _manifest.files[name] = BackupManifest::File{sha.hex(), static_cast<long long>(size)};
    }

    void addPath(const std::string& name, const std::string& path, mode_t mode)
    {
        Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (file.fd < 0)
            throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
        add(name, file.fd, mode);
    }

    /// Every regular file below `directory` as prefix/<relative path>; links are not followed
    /// (restore refuses them) but named on stderr.
    void addTree(const std::string& prefix, const std::string& directory)
    {
        for (const auto& item : fs::recursive_directory_iterator(directory)) {
            const fs::file_status status = item.symlink_status();
            if (fs::is_directory(status))
                continue;
            const std::string relative = fs::relative(item.path(), directory).generic_string();
            if (!fs::is_regular_file(status)) {
                _err << "warning: " << item.path().string() << " is not a regular file; not in the backup\n";
                continue;
            }
            addPath(prefix + "/" + relative, item.path().string(), static_cast<mode_t>(status.permissions()) & 0777);
        }
    }

private:
    void progress(const std::string& name, long long size)
    {
        if (size >= progressThreshold)
            _err << "backup: adding " << name << " (" << size / (1024 * 1024) << " MiB)\n" << std::flush;
    }

    static constexpr long long progressThreshold = 16LL * 1024 * 1024;

    TarWriter& _tar;
    BackupManifest& _manifest;
    std::ostream& _err;
};

std::string pgDumpCommand(const Configuration& config)
{
    return "pg_dump --host=" + config.getString("db.postgres.host", "localhost") +
           " --port=" + config.getString("db.postgres.port", "5432") +
           " --username=" + config.getString("db.postgres.user", "comfygate") +
           " --dbname=" + config.getString("db.postgres.database", "comfygate") +
           " --format=custom --file=comfygate.pgdump";
}

} // namespace

BackupCommand::BackupCommand(const CommandLine& line, std::ostream& out, std::ostream& err)
    : _line(line), _out(out), _err(err)
{
}

int BackupCommand::run()
{
    if (_line.words.size() != 1 || _line.words[0].empty() || _line.words[0][0] == '-') {
        _err << "usage: comfygate [options] backup FILE\n";
        return 2;
    }
    const std::string target = fs::absolute(_line.words[0]).lexically_normal().string();
    if (fs::is_directory(target)) {
        _err << "comfygate: " << target << " is a directory: give the backup's file name\n";
        return 2;
    }

    Kernel kernel(ops::commandConfiguration(_line));
    kernel.startCore(false);
    kernel.startModules(false);
    const KernelSettings& settings = kernel.settings();
    const DatabaseSettings& database = kernel.database().settings();
    const bool sqlite = database.backend == Database::Backend::SQLite;

    BackupManifest manifest;
    manifest.comfygateVersion = kernelVersion();
    manifest.createdAt = Poco::DateTimeFormatter::format(Poco::DateTime(), Poco::DateTimeFormat::ISO8601_FORMAT);
    manifest.databaseBackend = sqlite ? "sqlite" : "postgresql";
    manifest.databaseIncluded = sqlite;

    PendingArchive archive(target);
    TarWriter tar(archive.fd());
    ArchiveContents contents(tar, manifest, _err);
    if (sqlite) {
        const SqliteSnapshot snapshot(database.sqlitePath, database.busyTimeoutMs);
        contents.add("data/" + fs::path(database.sqlitePath).filename().string(), snapshot.data(), snapshot.size(), 0600);
        manifest.schema = snapshot.schema();
    } else {
        manifest.schema["kernel"] = kernel.database().appliedMigrations("kernel");
        for (const auto& module : kernel.modules().modules())
            manifest.schema[module->name] = kernel.database().appliedMigrations(module->name);
    }
    const std::string keyFile = settings.dataDir + "/secret.key";
    if (fs::exists(keyFile))
        contents.addPath("data/secret.key", keyFile, 0600);
    else
        _err << "warning: no key file " << keyFile
             << " (the key comes from SECRET_KEY): keep that value with the backup, sealed secrets need it\n";
    if (fs::is_directory(settings.policyDir))
        contents.addTree("policies", settings.policyDir);
    if (!_line.configFile.empty())
        contents.addPath("config/" + fs::path(_line.configFile).filename().string(), _line.configFile, 0600);
    const std::size_t files = manifest.files.size();
    const std::string manifestText = manifest.toJson();
    tar.addData(BackupManifest::fileName, manifestText.data(), manifestText.size(), 0600);
    tar.finish();
    const long long bytes = archive.publish();
    kernel.stop();

    if (!sqlite)
        _err << "warning: the database is on PostgreSQL and is not in the backup; dump it alongside with\n"
             << "  " << pgDumpCommand(kernel.config()) << "\n"
             << "(the password from PGPASSWORD or ~/.pgpass) and restore it with pg_restore before starting\n";
    _out << "backup written: " << target << " (" << files + 1 << " files, " << bytes << " bytes)\n";
    return 0;
}

} // namespace comfygate
