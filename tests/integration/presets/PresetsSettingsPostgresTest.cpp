// The presets core checks (SettingsChecks.h) with the gateway on PostgreSQL (db.backend=postgresql)
// against a throwaway cluster: the settings table, the auth module's sealed keys and the
// comfy-proxy prompt sessions (migration 005) on the other dialect. Without the PostgreSQL
// binaries every test fails naming them; nothing is skipped silently.
#include "SettingsChecks.h"

#include "PostgresCluster.h"

#include <atomic>
#include <memory>
#include <stdexcept>

using comfygate::test::Headers;
using comfygate::test::PostgresCluster;

namespace {

PostgresCluster& cluster()
{
    static std::unique_ptr<PostgresCluster> instance;
    if (!instance) {
        if (PostgresCluster::binDir().empty())
            throw std::runtime_error("PostgreSQL binaries (initdb, pg_ctl) not found: install postgresql");
        instance = std::make_unique<PostgresCluster>();
    }
    return *instance;
}

/// The value of `key` in a libpq key=value connection string.
std::string connectionValue(const std::string& connection, const std::string& key)
{
    const std::string marker = key + "=";
    for (std::size_t at = connection.find(marker); at != std::string::npos; at = connection.find(marker, at + 1)) {
        if (at == 0 || connection[at - 1] == ' ') {
            const std::size_t start = at + marker.size();
            return connection.substr(start, connection.find(' ', start) - start);
        }
    }
    return {};
}

} // namespace

class PresetsSettingsPostgresTest : public comfygate::test::presets::SettingsChecks
{
    CPPUNIT_TEST_SUITE(PresetsSettingsPostgresTest);
    SETTINGS_CORE_CHECKS();
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        static std::atomic<int> counter{0};
        _database = "presets" + std::to_string(++counter);
        cluster().createDatabase(_database);
        SettingsChecks::setUp();
    }

protected:
    Headers backendSettings() override
    {
        const std::string connection = cluster().connectionString(_database);
        return {{"db.backend", "postgresql"},
                {"db.postgres.host", connectionValue(connection, "host")},
                {"db.postgres.port", connectionValue(connection, "port")},
                {"db.postgres.user", connectionValue(connection, "user")},
                {"db.postgres.database", _database},
                {"db.pool.max", "4"}};
    }

private:
    std::string _database;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PresetsSettingsPostgresTest);
