// The presets core checks (PresetsChecks.h) with the gateway on PostgreSQL (db.backend=postgresql)
// against a throwaway cluster, one fresh database per test. Without the PostgreSQL binaries
// every test fails naming them; nothing is skipped silently.
#include "PresetsChecks.h"

#include "PostgresCluster.h"

#include <atomic>
#include <memory>
#include <stdexcept>

using comfygate::test::PostgresCluster;
using namespace comfygate::test::presets;

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
} // namespace

class PresetsPostgresTest : public PresetsChecks
{
    CPPUNIT_TEST_SUITE(PresetsPostgresTest);
    PRESETS_CORE_CHECKS();
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        static std::atomic<int> counter{0};
        _database = "presets" + std::to_string(++counter);
        cluster().createDatabase(_database);
        PresetsChecks::setUp();
    }

protected:
    Headers backendSettings() override
    {
        const auto settings = cluster().gatewaySettings(_database);
        return Headers(settings.begin(), settings.end());
    }

private:
    std::string _database;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PresetsPostgresTest);
