// The civitai-catalog core checks (CatalogChecks.h) with the gateway on PostgreSQL
// (db.backend=postgresql) against a throwaway cluster, one fresh database per test. Without
// the PostgreSQL binaries every test fails naming them; nothing is skipped silently.
#include "CatalogChecks.h"

#include "PostgresCluster.h"

#include <atomic>
#include <stdexcept>

using comfygate::test::PostgresCluster;
using namespace comfygate::test::catalog;

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

class CatalogPostgresTest : public CatalogChecks
{
    CPPUNIT_TEST_SUITE(CatalogPostgresTest);
    CATALOG_CORE_CHECKS();
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        static std::atomic<int> counter{0};
        _database = "catalog" + std::to_string(++counter);
        cluster().createDatabase(_database);
        CatalogChecks::setUp();
    }

protected:
    Headers backendSettings() override { return cluster().gatewaySettings(_database); }

private:
    std::string _database;
};

CPPUNIT_TEST_SUITE_REGISTRATION(CatalogPostgresTest);
