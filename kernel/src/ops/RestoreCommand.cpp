#include "RestoreCommand.h"

#include "BackupManifest.h"
#include "Kernel.h"
#include "KernelSettings.h"
#include "ModuleLoader.h"
#include "OpsCommand.h"
#include "PooledDatabase.h"
#include "TarArchive.h"
#include "comfygate/AtomicFile.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <ostream>
#include <set>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace comfygate {

const char* kernelVersion();

namespace {

namespace fs = std::filesystem;

/// Refusals that are the archive's or the target's fault: exit status 1 with the message.
struct Refusal : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

/// The temporary directory next to the target; removed unless it was renamed into place.
class StagingDirectory
{
public:
    explicit StagingDirectory(const fs::path& target)
    {
        std::string pattern = (target.parent_path() / ("." + target.filename().string() + ".restore-XXXXXX")).string();
        if (!::mkdtemp(pattern.data()))
            throw std::runtime_error("cannot create a temporary directory next to " + target.string() + ": " +
                                     std::strerror(errno));
        _path = pattern;
    }
    ~StagingDirectory()
    {
        std::error_code ignored;
        fs::remove_all(_path, ignored);
    }
    const fs::path& path() const { return _path; }

private:
    fs::path _path;
};

struct Extracted
{
    std::string manifestText;
    std::map<std::string, BackupManifest::File> files;
};

/// Where an archive entry goes below the restored data directory: data/X at its top,
/// policies/ and config/ as they are.
fs::path placeOf(const std::string& name)
{
    return name.rfind("data/", 0) == 0 ? fs::path(name.substr(5)) : fs::path(name);
}

Extracted extract(const std::string& archivePath, const fs::path& tree)
{
    Extracted extracted;
    TarReader reader(archivePath);
    TarReader::Entry entry;
    while (reader.next(entry)) {
        if (entry.name == BackupManifest::fileName) {
            if (entry.size > 16 * 1024 * 1024)
                throw Refusal("the archive's manifest.json is implausibly large: not a comfygate backup");
            extracted.manifestText = reader.readText();
            continue;
        }
        const fs::path place = tree / placeOf(entry.name);
        fs::create_directories(place.parent_path());
        const bool key = entry.name == "data/secret.key";
        const mode_t mode = key ? 0600 : (entry.mode & 0777);
        const int fd = ::open(place.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
            throw Refusal("cannot restore '" + entry.name + "' (" + std::strerror(errno) +
                          "; an entry twice?): refused, nothing was restored");
        ops::Sha256 sha;
        try {
            reader.copyTo(fd, [&sha](const char* data, std::size_t size) { sha.add(data, size); });
            ::fchmod(fd, mode);
            ops::syncFd(fd, place.string());
        } catch (...) {
            ::close(fd);
            throw;
        }
        ::close(fd);
        extracted.files[entry.name] = BackupManifest::File{sha.hex(), entry.size};
    }
    return extracted;
}

void verifyChecksums(const BackupManifest& manifest, const Extracted& extracted)
{
    for (const auto& [name, file] : manifest.files) {
        const auto found = extracted.files.find(name);
        if (found == extracted.files.end())
            throw Refusal("the archive lacks " + name + ", which its manifest lists: it is incomplete; use another backup");
        if (found->second.sha256 != file.sha256 || found->second.size != file.size)
            throw Refusal("the checksum of " + name + " does not match the manifest: the archive is damaged; use another backup");
    }
    for (const auto& [name, file] : extracted.files)
        if (!manifest.files.count(name))
            throw Refusal("the archive has " + name + ", which its manifest does not list: refused, use another backup");
}

/// The migrations this build has, per owner: those a fresh database gets from the kernel and
/// the configured modules (a throwaway SQLite data directory inside the staging directory).
std::map<std::string, BackupManifest::Migrations> knownMigrations(const CommandLine& line, const fs::path& scratch)
{
    Kernel kernel(ops::commandConfiguration(
        line, {{"data.dir", scratch.string()}, {"db.backend", "sqlite"}, {"db.sqlite.path", "comfygate.db"}}));
    kernel.startCore(false);
    kernel.startModules(false);
    std::map<std::string, BackupManifest::Migrations> known;
    known["kernel"] = kernel.database().appliedMigrations("kernel");
    for (const auto& module : kernel.modules().modules())
        known[module->name] = kernel.database().appliedMigrations(module->name);
    kernel.stop();
    return known;
}

void verifySchema(const BackupManifest& manifest, const std::map<std::string, BackupManifest::Migrations>& known)
{
    for (const auto& [owner, migrations] : manifest.schema) {
        if (migrations.empty())
            continue;
        const auto ours = known.find(owner);
        if (ours == known.end())
            throw Refusal("the backup's database has migrations of '" + owner +
                          "', a module this comfygate does not load: enable it (modules.enabled, modules.dir) or "
                          "restore with the build that wrote the backup (comfygate " + manifest.comfygateVersion + ")");
        for (const auto& [number, name] : migrations) {
            bool have = false;
            for (const auto& [ourNumber, ourName] : ours->second)
                have = have || (ourNumber == number && ourName == name);
            if (!have)
                throw Refusal("the backup's schema is newer than this comfygate " + std::string(kernelVersion()) +
                              ": it has migration " + owner + " " + std::to_string(number) + " (" + name +
                              "), which this build does not know; restore it with comfygate " +
                              manifest.comfygateVersion + " or newer");
        }
    }
}

bool emptyOrMissing(const fs::path& directory)
{
    return !fs::exists(directory) || (fs::is_directory(directory) && fs::is_empty(directory));
}

} // namespace

RestoreCommand::RestoreCommand(const CommandLine& line, std::ostream& out, std::ostream& err)
    : _line(line), _out(out), _err(err)
{
}

int RestoreCommand::run()
{
    if (_line.words.size() != 1 || _line.words[0].empty() || _line.words[0][0] == '-') {
        _err << "usage: comfygate [options] --data-dir DIR restore FILE\n";
        return 2;
    }
    const std::string archive = fs::absolute(_line.words[0]).string();
    if (!fs::is_regular_file(archive)) {
        _err << "comfygate: no backup file " << archive << "\n";
        return 2;
    }
    const KernelSettings settings = KernelSettings::read(*ops::commandConfiguration(_line));
    const fs::path target = fs::path(settings.dataDir).lexically_normal();
    if (!emptyOrMissing(target)) {
        _err << "comfygate: the data directory " << target.string()
             << " is not empty: restore only into a new or empty directory (give another --data-dir, "
                "or move this one's contents away after stopping its server)\n";
        return 1;
    }
    fs::create_directories(target.parent_path());
    try {
        StagingDirectory staging(target);
        const fs::path tree = staging.path() / "data";
        fs::create_directory(tree);
        const Extracted extracted = extract(archive, tree);
        if (extracted.manifestText.empty())
            throw Refusal("the archive " + archive + " has no manifest.json: it is not a comfygate backup");
        BackupManifest manifest;
        try {
            manifest = BackupManifest::parse(extracted.manifestText);
        } catch (const std::runtime_error& e) {
            throw Refusal("the archive " + archive + " cannot be restored: " + e.what());
        }
        verifyChecksums(manifest, extracted);
        verifySchema(manifest, knownMigrations(_line, staging.path() / "scratch"));

        ::chmod(tree.c_str(), 0700);
        for (const auto& directory : {tree / "policies", tree / "config"})
            if (fs::exists(directory))
                AtomicFile::syncDirectory(directory.string());
        AtomicFile::syncDirectory(tree.string());
        if (fs::exists(target))
            fs::remove(target); // empty, checked above; rename cannot replace it on every filesystem
        fs::rename(tree, target);
        AtomicFile::syncDirectory(target.parent_path().string());

        _out << "restored " << archive << " (comfygate " << manifest.comfygateVersion << ", " << manifest.createdAt
             << ") into " << target.string() << " (" << extracted.files.size() + 1 << " files with the manifest)\n";
        if (fs::exists(target / "policies"))
            _out << "policies restored to " << (target / "policies").string()
                 << ": set policy.dir to it, or copy them to your policy directory\n";
        if (fs::exists(target / "config"))
            _out << "configuration restored to " << (target / "config").string()
                 << ": use it with --config, or compare it with yours\n";
        if (!manifest.databaseIncluded)
            _err << "warning: the backup's database was on PostgreSQL and is not in the archive: restore its "
                    "pg_dump with pg_restore before starting the server\n";
        return 0;
    } catch (const Refusal& refusal) {
        _err << "comfygate: " << refusal.what() << "\n";
        return 1;
    }
}

} // namespace comfygate
