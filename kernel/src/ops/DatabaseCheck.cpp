#include "Configuration.h"
#include "DoctorChecks.h"
#include "KernelSchema.h"
#include "KernelSettings.h"
#include "PooledDatabase.h"
#include "PostgresConnection.h"

#include <Poco/URI.h>

#include <sqlite3.h>

#include <map>
#include <memory>
#include <sys/stat.h>

namespace comfygate {
namespace {

/// The SQLite URI that opens `path` without creating anything. Even a read-only connection
/// to a WAL database creates the -wal and -shm files when they are absent; they are absent
/// only when no connection is open (no server runs), and then nothing can change under us,
/// so the database may be read as immutable.
std::string readOnlyUri(const std::string& path)
{
    std::string encoded;
    Poco::URI::encode(path, "?#%", encoded);
    struct stat info{};
    const bool walInUse = ::stat((path + "-wal").c_str(), &info) == 0;
    return "file:" + encoded + (walInUse ? "?mode=ro" : "?mode=ro&immutable=1");
}

/// Reads schema_migrations through a read-only connection: no file, WAL switch or table is
/// created (PooledDatabase::open would set the database up for writing).
RecordedMigrations sqliteApplied(const std::string& path)
{
    sqlite3* raw = nullptr;
    const int opened =
        sqlite3_open_v2(readOnlyUri(path).c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
    if (opened != SQLITE_OK)
        throw std::runtime_error(raw ? sqlite3_errmsg(raw) : "cannot open");
    sqlite3_busy_timeout(db.get(), 5000);
    RecordedMigrations applied;
    char* error = nullptr;
    const int status = sqlite3_exec(
        db.get(), "SELECT owner, number, name FROM schema_migrations",
        [](void* records, int, char** values, char**) {
            (*static_cast<RecordedMigrations*>(records))[values[0]][std::stoi(values[1])] = values[2];
            return 0;
        },
        &applied, &error);
    if (status != SQLITE_OK) {
        const std::string message = error ? error : "query failed";
        sqlite3_free(error);
        if (message.find("no such table") != std::string::npos)
            return {};
        throw std::runtime_error(message);
    }
    return applied;
}

void reportMigrations(const std::string& where, const RecordedMigrations& applied, DoctorReport& report)
{
    const int known = static_cast<int>(kernelSchema().size());
    const auto kernel = applied.find(kernelSchemaOwner);
    const int done = kernel == applied.end() ? 0 : static_cast<int>(kernel->second.size());
    std::string owners;
    std::size_t total = 0;
    for (const auto& [owner, records] : applied) {
        owners += (owners.empty() ? "" : ", ") + owner + " " + std::to_string(records.size());
        total += records.size();
    }
    if (done < known) {
        report.warn("database", where + ": " + std::to_string(known - done) + " of " + std::to_string(known) +
                                    " kernel migrations pending (applied: " + (owners.empty() ? "none" : owners) + ")",
                    "run `comfygate migrate` (the server also applies them at start)");
        return;
    }
    report.ok("database", where + ", all " + std::to_string(total) + " migrations applied (" + owners +
                              "; each module's are checked below)");
}

/// libpq's messages span lines (and indent with tabs); a report line is one line.
std::string oneLine(const std::string& text)
{
    std::string line;
    for (const char c : text) {
        const bool space = c == '\n' || c == '\t' || c == ' ';
        if (!space)
            line += c;
        else if (!line.empty() && line.back() != ' ')
            line += ' ';
    }
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    return line;
}

/// Connects (one session, SELECT 1) and reads schema_migrations with a plain query: nothing is
/// created (PooledDatabase's migration listing would create the table).
std::optional<RecordedMigrations> postgresCheck(const Configuration& config, DoctorReport& report)
{
    const std::string where = "PostgreSQL " + config.getString("db.postgres.user", "comfygate") + "@" +
                              config.getString("db.postgres.host", "localhost") + ":" +
                              config.getString("db.postgres.port", "5432") + "/" +
                              config.getString("db.postgres.database", "comfygate");
    DatabaseSettings settings;
    settings.backend = Database::Backend::PostgreSQL;
    settings.postgresConnection = postgresConnectionString(config);
    settings.minSessions = 0;
    settings.maxSessions = 1;
    PooledDatabase database(settings);
    try {
        database.open();
    } catch (const std::exception& e) {
        report.fail("database", where + " is not reachable: " + oneLine(e.what()),
                    "start PostgreSQL, or check db.postgres.host, port, database, user and the password "
                    "(USERS_DB_PASSWORD)");
        return std::nullopt;
    }
    RecordedMigrations applied;
    try {
        const auto exists = database.select("SELECT to_regclass('schema_migrations') IS NOT NULL", {});
        if (!exists.empty() && exists.front().at(0).convert<bool>()) {
            for (const auto& row : database.select("SELECT owner, number, name FROM schema_migrations", {}))
                applied[row.at(0).convert<std::string>()][row.at(1).convert<int>()] = row.at(2).convert<std::string>();
        }
    } catch (const std::exception& e) {
        database.close();
        report.fail("database", where + " answers, but its migrations cannot be read: " + oneLine(e.what()),
                    "check that db.postgres.user may read the database");
        return std::nullopt;
    }
    database.close();
    reportMigrations(where, applied, report);
    return applied;
}

} // namespace

std::optional<RecordedMigrations> DatabaseCheck::run(const Configuration& config, const KernelSettings& settings,
                                                     DoctorReport& report)
{
    if (config.getString("db.backend", "sqlite") == "postgresql")
        return postgresCheck(config, report);
    // The same resolution as the kernel: relative to the data directory.
    const std::string configured = config.getString("db.sqlite.path", "comfygate.db");
    const std::string path =
        !configured.empty() && configured[0] == '/' ? configured : settings.dataDir + "/" + configured;
    struct stat info{};
    if (::stat(path.c_str(), &info) != 0) {
        report.warn("database", "no SQLite database at " + path + " yet",
                    "the server creates and migrates it at first start (or run `comfygate migrate`)");
        return std::nullopt;
    }
    try {
        RecordedMigrations applied = sqliteApplied(path);
        reportMigrations("SQLite at " + path, applied, report);
        return applied;
    } catch (const std::exception& e) {
        report.fail("database", "SQLite at " + path + " cannot be read: " + e.what(),
                    "check the file's owner and mode, and that it is a comfygate database");
        return std::nullopt;
    }
}

} // namespace comfygate
