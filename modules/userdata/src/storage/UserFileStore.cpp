#include "UserFileStore.h"

#include "UserDataName.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

#include <algorithm>
#include <chrono>

using namespace Poco::Data::Keywords;

namespace comfygate::userdata {

const std::string UserFileStore::globalOwner;

namespace {

/// The row of a file as a write transaction sees it before changing it.
struct CurrentRow
{
    bool found = false;
    Poco::Int64 size = 0;
    Poco::Int64 createdMs = 0;
    Poco::Int64 modifiedMs = 0;
    Poco::Data::BLOB content;
};

std::string text(const Poco::Data::BLOB& blob)
{
    return std::string(blob.content().begin(), blob.content().end());
}

std::string mib(std::int64_t bytes)
{
    return std::to_string((bytes + 1024 * 1024 - 1) / (1024 * 1024)) + " MiB";
}

} // namespace

UserFileStore::UserFileStore(Database& database, StoreLimits limits, Clock clock)
    : _database(database), _limits(limits), _clock(std::move(clock))
{
    if (!_clock) {
        _clock = [] {
            return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count());
        };
    }
}

namespace {

CurrentRow loadRow(Database& database, Poco::Data::Session& session, const std::string& owner,
                   const std::string& path, bool withContent)
{
    CurrentRow row;
    std::string o = owner, p = path;
    Poco::Data::Statement statement(session);
    if (withContent) {
        statement << database.translate(
                         "SELECT size, created_ms, modified_ms, content FROM userdata_files WHERE owner = ? AND path = ?"),
            into(row.size), into(row.createdMs), into(row.modifiedMs), into(row.content), use(o), use(p);
    } else {
        statement << database.translate(
                         "SELECT size, created_ms, modified_ms FROM userdata_files WHERE owner = ? AND path = ?"),
            into(row.size), into(row.createdMs), into(row.modifiedMs), use(o), use(p);
    }
    row.found = statement.execute() > 0;
    return row;
}

} // namespace

std::optional<std::string> UserFileStore::read(const std::string& owner, const std::string& path)
{
    Poco::Data::Session session = _database.session();
    CurrentRow row = loadRow(_database, session, owner, path, true);
    if (!row.found)
        return std::nullopt;
    return text(row.content);
}

std::optional<StoredFileInfo> UserFileStore::info(const std::string& owner, const std::string& path)
{
    Poco::Data::Session session = _database.session();
    CurrentRow row = loadRow(_database, session, owner, path, false);
    if (!row.found)
        return std::nullopt;
    return StoredFileInfo{path, row.size, row.createdMs, row.modifiedMs};
}

std::vector<StoredFileInfo> UserFileStore::list(const std::string& owner, const std::string& directory, bool recurse)
{
    Poco::Data::Session session = _database.session();
    Poco::Data::Statement statement(session);
    std::string o = owner;
    statement << _database.translate(
                     "SELECT path, size, created_ms, modified_ms FROM userdata_files WHERE owner = ?"),
        use(o);
    statement.execute();
    Poco::Data::RecordSet rows(statement);
    std::vector<StoredFileInfo> files;
    for (std::size_t i = 0; i < rows.rowCount(); ++i) {
        StoredFileInfo file;
        file.path = rows.value(0, i).convert<std::string>();
        if (!UserDataName::isBelow(file.path, directory))
            continue;
        // Without recurse only the directory's own files: no further '/' after its prefix.
        const std::size_t start = directory.empty() ? 0 : directory.size() + 1;
        if (!recurse && file.path.find('/', start) != std::string::npos)
            continue;
        file.size = rows.value(1, i).convert<Poco::Int64>();
        file.createdMs = rows.value(2, i).convert<Poco::Int64>();
        file.modifiedMs = rows.value(3, i).convert<Poco::Int64>();
        files.push_back(std::move(file));
    }
    // Sorted here, not in SQL: PostgreSQL's collation may order '/' differently from SQLite.
    std::sort(files.begin(), files.end(),
              [](const StoredFileInfo& a, const StoredFileInfo& b) { return a.path < b.path; });
    return files;
}

bool UserFileStore::directoryExists(const std::string& owner, const std::string& directory)
{
    return !list(owner, directory, true).empty();
}

void UserFileStore::lockOwner(Poco::Data::Session& session, const std::string& owner)
{
    std::string o = owner, o2 = owner;
    session << _database.translate(
                   "INSERT INTO userdata_owners (owner, writes) VALUES (?, 0) ON CONFLICT (owner) DO NOTHING"),
        use(o), now;
    session << _database.translate("UPDATE userdata_owners SET writes = writes + 1 WHERE owner = ?"), use(o2), now;
}

bool UserFileStore::nameConflict(Poco::Data::Session& session, const std::string& owner, const std::string& path)
{
    std::vector<std::string> folders;
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
        folders.push_back(path.substr(0, slash));
    const std::string below = path + "/";
    // SUBSTR counts characters on both backends; a UTF-8 continuation byte is not one.
    int characters = 0;
    for (unsigned char c : below)
        characters += (c & 0xC0) != 0x80;
    std::string sql = "SELECT COUNT(*) FROM userdata_files WHERE owner = ? AND (SUBSTR(path, 1, ?) = ?";
    for (std::size_t i = 0; i < folders.size(); ++i)
        sql += i == 0 ? " OR path IN (?" : ", ?";
    sql += folders.empty() ? ")" : "))";
    Poco::Int64 count = 0;
    std::string o = owner, b = below;
    Poco::Data::Statement statement(session);
    statement << _database.translate(sql), into(count), use(o), use(characters), use(b);
    for (auto& folder : folders)
        statement, use(folder);
    statement.execute();
    return count > 0;
}

void UserFileStore::checkLimits(Poco::Data::Session& session, const std::string& owner, std::int64_t oldSize,
                                bool exists, std::int64_t newSize)
{
    if (newSize > _limits.maxFileBytes)
        throw QuotaExceeded("file_size", "the file is larger than the limit of " + mib(_limits.maxFileBytes) +
                                             " (userdata.max_file_mb)");
    if (owner == globalOwner)
        return;
    Poco::Int64 files = 0, bytes = 0;
    std::string o = owner;
    session << _database.translate("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM userdata_files WHERE owner = ?"),
        into(files), into(bytes), use(o), now;
    if (!exists && files + 1 > _limits.maxFiles)
        throw QuotaExceeded("files", "your user data quota is full: " + std::to_string(files) + " of " +
                                         std::to_string(_limits.maxFiles) +
                                         " files (userdata.max_files); delete some files first");
    const std::int64_t total = bytes - oldSize + newSize;
    if (newSize > oldSize && total > _limits.maxTotalBytes)
        throw QuotaExceeded("bytes", "your user data quota is full: this file would bring you to " + mib(total) +
                                         " of " + mib(_limits.maxTotalBytes) +
                                         " (userdata.max_total_mb); delete some files first");
}

void UserFileStore::keepVersion(Poco::Data::Session& session, const std::string& owner, const std::string& path,
                                const Poco::Data::BLOB& content, std::int64_t size, std::int64_t savedMs,
                                const std::string& actor)
{
    if (_limits.versionsKept <= 0)
        return;
    std::string o = owner, p = path, a = actor;
    Poco::Int64 s = size, saved = savedMs, replaced = _clock();
    Poco::Data::BLOB c = content;
    session << _database.translate("INSERT INTO userdata_versions (owner, path, content, size, saved_ms, "
                                   "replaced_ms, replaced_by) VALUES (?, ?, ?, ?, ?, ?, ?)"),
        use(o), use(p), use(c), use(s), use(saved), use(replaced), use(a), now;
    pruneVersions(session, owner, path);
}

void UserFileStore::pruneVersions(Poco::Data::Session& session, const std::string& owner, const std::string& path)
{
    std::string o = owner, p = path, o2 = owner, p2 = path;
    int keep = std::max(0, _limits.versionsKept);
    session << _database.translate("DELETE FROM userdata_versions WHERE owner = ? AND path = ? AND id NOT IN "
                                   "(SELECT id FROM userdata_versions WHERE owner = ? AND path = ? "
                                   "ORDER BY id DESC LIMIT ?)"),
        use(o), use(p), use(o2), use(p2), use(keep), now;
}

void UserFileStore::storeRow(Poco::Data::Session& session, const std::string& owner, const std::string& path,
                             const std::string& content, const CurrentRowView& current, const std::string& actor,
                             bool keepOld)
{
    checkLimits(session, owner, current.size, current.found, static_cast<std::int64_t>(content.size()));
    std::string o = owner, p = path;
    Poco::Data::BLOB c(reinterpret_cast<const unsigned char*>(content.data()), content.size());
    Poco::Int64 size = static_cast<Poco::Int64>(content.size());
    Poco::Int64 modified = _clock();
    if (current.found) {
        if (keepOld)
            keepVersion(session, owner, path, *current.content, current.size, current.modifiedMs, actor);
        session << _database.translate(
                       "UPDATE userdata_files SET content = ?, size = ?, modified_ms = ? WHERE owner = ? AND path = ?"),
            use(c), use(size), use(modified), use(o), use(p), now;
    } else {
        Poco::Int64 created = modified;
        session << _database.translate("INSERT INTO userdata_files (owner, path, content, size, created_ms, "
                                       "modified_ms) VALUES (?, ?, ?, ?, ?, ?)"),
            use(o), use(p), use(c), use(size), use(created), use(modified), now;
    }
}

UserFileStore::WriteResult UserFileStore::write(const std::string& owner, const std::string& path,
                                                const std::string& content, bool overwrite, const std::string& actor,
                                                bool keepOld)
{
    if (static_cast<std::int64_t>(content.size()) > _limits.maxFileBytes)
        throw QuotaExceeded("file_size", "the file is larger than the limit of " + mib(_limits.maxFileBytes) +
                                             " (userdata.max_file_mb)");
    WriteResult result = WriteResult::Created;
    _database.write([&](Poco::Data::Session& session) {
        lockOwner(session, owner);
        CurrentRow row = loadRow(_database, session, owner, path, keepOld);
        if (row.found && !overwrite) {
            result = WriteResult::AlreadyExists;
            return;
        }
        if (!row.found && nameConflict(session, owner, path)) {
            result = WriteResult::NameConflict;
            return;
        }
        storeRow(session, owner, path, content, {row.found, row.size, row.modifiedMs, &row.content}, actor, keepOld);
        result = row.found ? WriteResult::Replaced : WriteResult::Created;
    });
    return result;
}

void UserFileStore::update(const std::string& owner, const std::string& path,
                           const std::function<std::string(const std::optional<std::string>&)>& change,
                           const std::string& actor, bool keepOld)
{
    _database.write([&](Poco::Data::Session& session) {
        lockOwner(session, owner);
        CurrentRow row = loadRow(_database, session, owner, path, true);
        if (!row.found && nameConflict(session, owner, path))
            throw std::invalid_argument(path + " is a folder");
        std::optional<std::string> current;
        if (row.found)
            current = text(row.content);
        const std::string next = change(current);
        storeRow(session, owner, path, next, {row.found, row.size, row.modifiedMs, &row.content}, actor, keepOld);
    });
}

bool UserFileStore::remove(const std::string& owner, const std::string& path, const std::string& actor, bool keepOld)
{
    bool removed = false;
    _database.write([&](Poco::Data::Session& session) {
        lockOwner(session, owner);
        CurrentRow row = loadRow(_database, session, owner, path, keepOld);
        if (!row.found)
            return;
        if (keepOld)
            keepVersion(session, owner, path, row.content, row.size, row.modifiedMs, actor);
        std::string o = owner, p = path;
        session << _database.translate("DELETE FROM userdata_files WHERE owner = ? AND path = ?"), use(o), use(p),
            now;
        removed = true;
    });
    return removed;
}

UserFileStore::MoveResult UserFileStore::move(const std::string& owner, const std::string& from,
                                              const std::string& to, bool overwrite, const std::string& actor)
{
    MoveResult result = MoveResult::Moved;
    _database.write([&](Poco::Data::Session& session) {
        lockOwner(session, owner);
        if (!loadRow(_database, session, owner, from, false).found) {
            result = MoveResult::SourceMissing;
            return;
        }
        if (from == to)
            return;
        CurrentRow target = loadRow(_database, session, owner, to, true);
        // Also refuses moving a file below itself ("a" to "a/b"): "a" is a file when it is checked.
        if (!target.found && nameConflict(session, owner, to)) {
            result = MoveResult::NameConflict;
            return;
        }
        if (target.found) {
            if (!overwrite) {
                result = MoveResult::DestinationExists;
                return;
            }
            keepVersion(session, owner, to, target.content, target.size, target.modifiedMs, actor);
            std::string o = owner, t = to;
            session << _database.translate("DELETE FROM userdata_files WHERE owner = ? AND path = ?"), use(o),
                use(t), now;
        }
        std::string o = owner, f = from, t = to, o2 = owner, f2 = from, t2 = to;
        Poco::Int64 modified = _clock();
        session << _database.translate(
                       "UPDATE userdata_files SET path = ?, modified_ms = ? WHERE owner = ? AND path = ?"),
            use(t), use(modified), use(o), use(f), now;
        session << _database.translate("UPDATE userdata_versions SET path = ? WHERE owner = ? AND path = ?"), use(t2),
            use(o2), use(f2), now;
        pruneVersions(session, owner, to);
    });
    return result;
}

std::vector<StoredVersion> UserFileStore::versions(const std::string& owner, const std::string& path)
{
    Poco::Data::Session session = _database.session();
    Poco::Data::Statement statement(session);
    std::string o = owner, p = path;
    statement << _database.translate("SELECT id, size, saved_ms, replaced_ms, replaced_by FROM userdata_versions "
                                     "WHERE owner = ? AND path = ? ORDER BY id DESC"),
        use(o), use(p);
    statement.execute();
    Poco::Data::RecordSet rows(statement);
    std::vector<StoredVersion> out;
    for (std::size_t i = 0; i < rows.rowCount(); ++i) {
        StoredVersion version;
        version.id = rows.value(0, i).convert<Poco::Int64>();
        version.size = rows.value(1, i).convert<Poco::Int64>();
        version.savedMs = rows.value(2, i).convert<Poco::Int64>();
        version.replacedMs = rows.value(3, i).convert<Poco::Int64>();
        version.replacedBy = rows.value(4, i).convert<std::string>();
        out.push_back(std::move(version));
    }
    return out;
}

std::optional<std::string> UserFileStore::versionContent(const std::string& owner, const std::string& path,
                                                         std::int64_t versionId)
{
    Poco::Data::Session session = _database.session();
    Poco::Data::Statement statement(session);
    std::string o = owner, p = path;
    Poco::Int64 id = versionId;
    Poco::Data::BLOB content;
    statement << _database.translate(
                     "SELECT content FROM userdata_versions WHERE owner = ? AND path = ? AND id = ?"),
        into(content), use(o), use(p), use(id);
    if (statement.execute() == 0)
        return std::nullopt;
    return text(content);
}

UserFileStore::Usage UserFileStore::usage(const std::string& owner)
{
    Poco::Data::Session session = _database.session();
    Poco::Int64 files = 0, bytes = 0;
    std::string o = owner;
    session << _database.translate("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM userdata_files WHERE owner = ?"),
        into(files), into(bytes), use(o), now;
    return {files, bytes};
}

std::vector<std::string> UserFileStore::owners()
{
    Poco::Data::Session session = _database.session();
    std::vector<std::string> out;
    session << _database.translate("SELECT DISTINCT owner FROM userdata_files ORDER BY owner"), into(out), now;
    return out;
}

} // namespace comfygate::userdata
