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
    // An empty deserialized image makes "main" a memdb database: one resizable block, which
    // sqlite3_serialize hands out without a copy.
    _copy = open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_deserialize(_copy, "main", nullptr, 0, 0,
                            SQLITE_DESERIALIZE_RESIZEABLE | SQLITE_DESERIALIZE_FREEONCLOSE) != SQLITE_OK) {
        sqlite3_close_v2(_copy);
        throw std::runtime_error("cannot prepare the in-memory copy of " + databasePath);
    }
    Closer source{open(databasePath, SQLITE_OPEN_READONLY)};
    sqlite3_busy_timeout(source.db, busyTimeoutMs);
    // One read transaction on the source for the migrations and all pages: the versions in
    // the manifest are those of exactly the data copied. (The copy itself cannot be queried: it
    // keeps the source's WAL flag, which an in-memory database cannot open.)
    auto fail = [this](const std::string& message) {
        sqlite3_close_v2(_copy);
        throw std::runtime_error(message);
    };
    if (sqlite3_exec(source.db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
        fail("cannot read " + databasePath + ": " + sqlite3_errmsg(source.db));
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(source.db, "SELECT owner, number, name FROM schema_migrations ORDER BY owner, number", -1,
                           &statement, nullptr) != SQLITE_OK)
        fail("the database " + databasePath + " has no readable schema_migrations: " + sqlite3_errmsg(source.db));
    int status = SQLITE_OK;
    while ((status = sqlite3_step(statement)) == SQLITE_ROW)
        _schema[reinterpret_cast<const char*>(sqlite3_column_text(statement, 0))].emplace_back(
            sqlite3_column_int(statement, 1), reinterpret_cast<const char*>(sqlite3_column_text(statement, 2)));
    sqlite3_finalize(statement);
    if (status != SQLITE_DONE)
        fail("cannot read the migrations of " + databasePath + ": " + sqlite3_errstr(status));

    sqlite3_backup* backup = sqlite3_backup_init(_copy, "main", source.db, "main");
    if (!backup)
        fail("cannot start the backup of " + databasePath + ": " + sqlite3_errmsg(_copy));
    // All pages in one step, inside the read transaction above: one commit of the source.
    status = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    sqlite3_exec(source.db, "COMMIT", nullptr, nullptr, nullptr);
    if (status != SQLITE_DONE)
        fail("the backup of " + databasePath + " failed: " + sqlite3_errstr(status));

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
