#pragma once

#include "BackupManifest.h"

#include <map>
#include <string>

struct sqlite3;

namespace comfygate {

/// A consistent copy of a live SQLite database, taken with SQLite's online backup API in one
/// read transaction: writers of the running server go on (WAL) and the copy is the database as
/// of one commit. The copy is held in memory (SQLite's memdb), so a backup killed at any point
/// leaves no file behind; the price is memory the size of the database.
class SqliteSnapshot
{
public:
    /// Throws std::runtime_error naming the database.
    SqliteSnapshot(const std::string& databasePath, int busyTimeoutMs);
    ~SqliteSnapshot();
    SqliteSnapshot(const SqliteSnapshot&) = delete;
    SqliteSnapshot& operator=(const SqliteSnapshot&) = delete;

    /// The copy as a database file image.
    const char* data() const { return _data; }
    std::size_t size() const { return _size; }
    /// schema_migrations of the copy: the versions of exactly the data that was copied.
    const std::map<std::string, BackupManifest::Migrations>& schema() const { return _schema; }

private:
    sqlite3* _copy = nullptr;
    const char* _data = nullptr;
    std::size_t _size = 0;
    std::map<std::string, BackupManifest::Migrations> _schema;
};

} // namespace comfygate
