#pragma once

#include "comfygate/Database.h"

#include <Poco/Data/LOB.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate::userdata {

/// What a file listing or a write reports about one stored file.
struct StoredFileInfo
{
    std::string path; ///< relative to the owner's root, '/'-separated
    std::int64_t size = 0;
    std::int64_t createdMs = 0;
    std::int64_t modifiedMs = 0;
};

/// One earlier content of a file, kept when it was overwritten, moved over or deleted.
struct StoredVersion
{
    std::int64_t id = 0;
    std::int64_t size = 0;
    std::int64_t savedMs = 0;    ///< when this content had been saved
    std::int64_t replacedMs = 0; ///< when it stopped being the current content
    std::string replacedBy;      ///< user id of who replaced it
};

/// How much a user may keep; the global owner has only the per-file limit.
struct StoreLimits
{
    std::int64_t maxFileBytes = 50LL * 1024 * 1024;
    std::int64_t maxFiles = 1000;
    std::int64_t maxTotalBytes = 256LL * 1024 * 1024;
    int versionsKept = 20;
};

/// A write that would break a limit. `what` is "file_size", "files" or "bytes".
class QuotaExceeded : public std::runtime_error
{
public:
    QuotaExceeded(std::string what, const std::string& message) : std::runtime_error(message), _what(std::move(what))
    {
    }
    const std::string& limit() const { return _what; }

private:
    std::string _what;
};

/// Every user's files (workflows, settings, templates, ...) and the global workflows, in the
/// database, so several gateways on one PostgreSQL see the same data. Each write is one
/// transaction: a reader sees the old content or the new one, never a mix, and a crash
/// loses nothing that was answered 200. Paths must already be confined (UserDataName).
class UserFileStore
{
public:
    /// The owner of the global workflows every user sees (no user id is empty).
    static const std::string globalOwner;

    enum class WriteResult
    {
        Created,
        Replaced,
        AlreadyExists, ///< nothing written: the file exists and overwrite was false
        NameConflict   ///< nothing written: a folder has this name, or a file has the name of one of its folders
    };
    enum class MoveResult
    {
        Moved,
        SourceMissing,
        DestinationExists, ///< nothing moved: the destination exists and overwrite was false
        NameConflict       ///< nothing moved: the destination is a folder, or lies below a file
    };

    using Clock = std::function<std::int64_t()>; ///< Unix milliseconds

    UserFileStore(Database& database, StoreLimits limits, Clock clock = {});

    const StoreLimits& limits() const { return _limits; }

    std::optional<std::string> read(const std::string& owner, const std::string& path);
    std::optional<StoredFileInfo> info(const std::string& owner, const std::string& path);
    /// Files below `directory` ("" = every file; "workflows" = workflows/...), ordered by path.
    /// With `recurse` false only the directory's direct children.
    std::vector<StoredFileInfo> list(const std::string& owner, const std::string& directory, bool recurse = true);
    /// True when any file lies below `directory` (ComfyUI answers 404 for a missing directory).
    bool directoryExists(const std::string& owner, const std::string& directory);

    /// Writes `content`. With `keepVersion` an overwritten content becomes a version.
    /// Throws QuotaExceeded (nothing written) when the file or the owner's total breaks a limit.
    WriteResult write(const std::string& owner, const std::string& path, const std::string& content, bool overwrite,
                      const std::string& actor, bool keepOld = true);
    /// Reads, transforms and writes in one transaction (settings merges); a name conflict throws
    /// std::invalid_argument. `change` gets the
    /// current content, if any, and returns the new one; it may throw to abort.
    void update(const std::string& owner, const std::string& path,
                const std::function<std::string(const std::optional<std::string>&)>& change,
                const std::string& actor, bool keepOld);
    /// Removes the file; with `keepOld` its last content becomes a version, so a delete can be undone.
    bool remove(const std::string& owner, const std::string& path, const std::string& actor, bool keepOld = true);
    /// Renames within one owner; versions move with the file.
    MoveResult move(const std::string& owner, const std::string& from, const std::string& to, bool overwrite,
                    const std::string& actor);

    /// Earlier contents, newest first.
    std::vector<StoredVersion> versions(const std::string& owner, const std::string& path);
    std::optional<std::string> versionContent(const std::string& owner, const std::string& path,
                                              std::int64_t versionId);

    struct Usage
    {
        std::int64_t files = 0;
        std::int64_t bytes = 0;
    };
    Usage usage(const std::string& owner);
    /// Every owner that has at least one file (for `userdata export --all`).
    std::vector<std::string> owners();

private:
    /// What storeRow() needs to know of the row it replaces.
    struct CurrentRowView
    {
        bool found;
        std::int64_t size;
        std::int64_t modifiedMs;
        const Poco::Data::BLOB* content;
    };

    /// Makes concurrent writers of one owner take turns (see userdata_owners).
    void lockOwner(Poco::Data::Session& session, const std::string& owner);
    /// True when `path` would be both a file and a folder: a file exists below it, or one of
    /// its folders is a file. A store of names must keep the tree ComfyUI and export can write.
    bool nameConflict(Poco::Data::Session& session, const std::string& owner, const std::string& path);
    void checkLimits(Poco::Data::Session& session, const std::string& owner, std::int64_t oldSize, bool exists,
                     std::int64_t newSize);
    void keepVersion(Poco::Data::Session& session, const std::string& owner, const std::string& path,
                     const Poco::Data::BLOB& content, std::int64_t size, std::int64_t savedMs, const std::string& actor);
    void pruneVersions(Poco::Data::Session& session, const std::string& owner, const std::string& path);
    void storeRow(Poco::Data::Session& session, const std::string& owner, const std::string& path,
                  const std::string& content, const CurrentRowView& current, const std::string& actor, bool keepOld);

    Database& _database;
    StoreLimits _limits;
    Clock _clock;
};

} // namespace comfygate::userdata
