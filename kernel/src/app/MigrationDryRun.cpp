#include "MigrationDryRun.h"

#include "Configuration.h"
#include "KernelSettings.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/TemporaryFile.h>

#include <stdexcept>
#include <tuple>

namespace comfygate {
namespace {

/// A single-quoted SQL string literal (VACUUM INTO takes no bound parameter in older SQLite).
std::string quoted(const std::string& text)
{
    std::string result = "'";
    for (char c : text)
        result += c == '\'' ? std::string("''") : std::string(1, c);
    return result + "'";
}

} // namespace

MigrationDryRun::MigrationDryRun(const Configuration& config)
{
    if (config.getString("db.backend", "sqlite") == "postgresql")
        throw std::runtime_error("migrate --dry-run works on SQLite only; for PostgreSQL, restore a pg_dump into a "
                                 "scratch database and run `comfygate migrate` against that");
    const std::string dataDir = KernelSettings::read(config).dataDir;
    const std::string sqlitePath = config.getString("db.sqlite.path", "comfygate.db");
    const std::string original = !sqlitePath.empty() && sqlitePath[0] == '/' ? sqlitePath : dataDir + "/" + sqlitePath;

    _scratchDir = Poco::TemporaryFile::tempName();
    Poco::File(_scratchDir).createDirectories();
    _scratchDatabase = _scratchDir + "/comfygate.db";
    Poco::Data::SQLite::Connector::registerConnector();
    if (Poco::File(original).exists()) {
        Poco::Data::Session session(Poco::Data::SQLite::Connector::KEY, original);
        session << "VACUUM INTO " + quoted(_scratchDatabase), Poco::Data::Keywords::now;
    }
    // Modules may read sealed settings at start: the scratch kernel needs the real key.
    const Poco::File keyFile(dataDir + "/secret.key");
    if (keyFile.exists())
        keyFile.copyTo(_scratchDir + "/secret.key");
}

MigrationDryRun::~MigrationDryRun()
{
    try {
        Poco::File(_scratchDir).remove(true);
    } catch (...) {
        // A leftover temp directory is no reason to fail the command.
    }
}

std::map<std::string, std::string> MigrationDryRun::scratchOverrides() const
{
    return {{"data.dir", _scratchDir}, {"db.sqlite.path", _scratchDatabase}};
}

MigrationDryRun::Recorded MigrationDryRun::recorded() const
{
    Recorded result;
    if (!Poco::File(_scratchDatabase).exists())
        return result;
    Poco::Data::Session session(Poco::Data::SQLite::Connector::KEY, _scratchDatabase);
    int tables = 0;
    session << "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        Poco::Data::Keywords::into(tables), Poco::Data::Keywords::now;
    if (tables == 0)
        return result;
    std::vector<std::string> owners, names;
    std::vector<int> numbers;
    session << "SELECT owner, number, name FROM schema_migrations", Poco::Data::Keywords::into(owners),
        Poco::Data::Keywords::into(numbers), Poco::Data::Keywords::into(names), Poco::Data::Keywords::now;
    for (std::size_t i = 0; i < owners.size(); ++i)
        result[owners[i]][numbers[i]] = names[i];
    return result;
}

} // namespace comfygate
