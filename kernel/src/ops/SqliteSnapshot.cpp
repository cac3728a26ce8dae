#include "SqliteSnapshot.h"

#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

namespace comfygate {

namespace {

sqlite3* open(const std::string& path, int flags)
{
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        const std::string reason = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close_v2(db);
        throw std::runtime_error("cannot open the SQLite database " + path + ": " + reason);
    }
    return db;
}

struct Closer
{
    sqlite3* db;
    ~Closer() { sqlite3_close_v2(db); }
};

} // namespace

SqliteSnapshot::SqliteSnapshot(const std::string& databasePath, int busyTimeoutMs)
{
    if (::access(databasePath.c_str(), R_OK) != 0)
        throw std::runtime_error("cannot read the SQLite database " + databasePath + ": " + std::strerror(errno) +
                                 " (check db.sqlite.path and --data-dir)");
    // memdb keeps the image in one block, which sqlite3_serialize hands out without a copy.
    _copy = open("file:comfygate-backup?vfs=memdb", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI);
    Closer source{open(databasePath, SQLITE_OPEN_READONLY)};
    sqlite3_busy_timeout(source.db, busyTimeoutMs);
    sqlite3_backup* backup = sqlite3_backup_init(_copy, "main", source.db, "main");
    if (!backup) {
        const std::string reason = sqlite3_errmsg(_copy);
        sqlite3_close_v2(_copy);
        throw std::runtime_error("cannot start the backup of " + databasePath + ": " + reason);
    }
    // All pages in one step: one read transaction, so the copy is one commit of the source.
    int status = SQLITE_OK;
    do {
        status = sqlite3_backup_step(backup, -1);
        if (status == SQLITE_BUSY || status == SQLITE_LOCKED)
            sqlite3_sleep(50);
    } while (status == SQLITE_BUSY || status == SQLITE_LOCKED);
    sqlite3_backup_finish(backup);
    if (status != SQLITE_DONE) {
        sqlite3_close_v2(_copy);
        throw std::runtime_error("the backup of " + databasePath + " failed: " + sqlite3_errstr(status));
    }

    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(_copy, "SELECT owner, number, name FROM schema_migrations ORDER BY owner, number", -1,
                           &statement, nullptr) != SQLITE_OK) {
        const std::string reason = sqlite3_errmsg(_copy);
        sqlite3_close_v2(_copy);
        throw std::runtime_error("the database " + databasePath + " has no readable schema_migrations: " + reason);
    }
    while (sqlite3_step(statement) == SQLITE_ROW)
        _schema[reinterpret_cast<const char*>(sqlite3_column_text(statement, 0))].emplace_back(
            sqlite3_column_int(statement, 1), reinterpret_cast<const char*>(sqlite3_column_text(statement, 2)));
    sqlite3_finalize(statement);

    sqlite3_int64 size = 0;
    _data = reinterpret_cast<const char*>(sqlite3_serialize(_copy, "main", &size, SQLITE_SERIALIZE_NOCOPY));
    if (!_data) {
        sqlite3_close_v2(_copy);
        throw std::runtime_error("cannot read the copy of " + databasePath + " (out of memory?)");
    }
    _size = static_cast<std::size_t>(size);
}

SqliteSnapshot::~SqliteSnapshot() { sqlite3_close_v2(_copy); }

} // namespace comfygate
