// The userdata core checks (UserDataChecks.h) with the gateway on PostgreSQL
// (db.backend=postgresql) against a throwaway cluster, plus what only a shared database gives:
// two gateways on one database see each other's writes at once. Without the PostgreSQL
// binaries every test fails naming them; nothing is skipped silently.
#include "UserDataChecks.h"

#include "PostgresCluster.h"

#include <atomic>
#include <memory>
#include <stdexcept>

using comfygate::test::Headers;
using comfygate::test::HttpTestClient;
using comfygate::test::PostgresCluster;

namespace {

/// One cluster for the whole suite (started on first use, stopped at exit); each test gets a
/// fresh database in it.
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
    std::size_t at = 0;
    while ((at = connection.find(marker, at)) != std::string::npos) {
        if (at == 0 || connection[at - 1] == ' ') {
            const std::size_t start = at + marker.size();
            return connection.substr(start, connection.find(' ', start) - start);
        }
        at += marker.size();
    }
    return {};
}

} // namespace

class UserDataPostgresTest : public comfygate::test::userdata::UserDataChecks
{
    CPPUNIT_TEST_SUITE(UserDataPostgresTest);
    USERDATA_CORE_CHECKS();
    CPPUNIT_TEST(twoGatewaysShareOneDatabase);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        static std::atomic<int> counter{0};
        _database = "userdata" + std::to_string(++counter);
        cluster().createDatabase(_database);
        UserDataChecks::setUp();
    }

    void twoGatewaysShareOneDatabase()
    {
        auto second = startUserDataServer();
        HttpTestClient other(second->port());
        save(alice, "workflows/shared.json", R"({"from":"first"})");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"from":"first"})"),
                             other.get("/userdata/workflows%2Fshared.json", alice).body);
        // The other way round, overwriting, with settings and a delete.
        CPPUNIT_ASSERT_EQUAL(200, other.request("POST", "/userdata/workflows%2Fshared.json", R"({"from":"second"})", alice).status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"from":"second"})"), _client->get("/userdata/workflows%2Fshared.json", alice).body);
        CPPUNIT_ASSERT_EQUAL(200, other.postJson("/settings", R"({"Comfy.Where":"second"})", alice).status);
        CPPUNIT_ASSERT_EQUAL(std::string("\"second\""), _client->get("/settings/Comfy.Where", alice).body);
        CPPUNIT_ASSERT_EQUAL(409, _client->request("POST", "/userdata/workflows%2Fshared.json?overwrite=false", "{}", alice).status);
        CPPUNIT_ASSERT_EQUAL(204, _client->request("DELETE", "/userdata/workflows%2Fshared.json", "", alice).status);
        CPPUNIT_ASSERT_EQUAL(404, other.get("/userdata/workflows%2Fshared.json", alice).status);
        // Quotas count the files both gateways wrote.
        auto limited = startUserDataServer({{"userdata.max_files", "2"}});
        HttpTestClient third(limited->port());
        save(bob, "notes/1.txt", "1");
        CPPUNIT_ASSERT_EQUAL(200, other.request("POST", "/userdata/notes%2F2.txt", "2", bob).status);
        CPPUNIT_ASSERT_EQUAL(413, third.request("POST", "/userdata/notes%2F3.txt", "3", bob).status);
        CPPUNIT_ASSERT_EQUAL(404, other.get("/userdata/notes%2F3.txt", bob).status);
        assertComfyAskedNothing();
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

CPPUNIT_TEST_SUITE_REGISTRATION(UserDataPostgresTest);
