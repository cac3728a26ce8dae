// The userdata store on SQLite and on a throwaway PostgreSQL: binary content, overwrite rules,
// quotas that write nothing when full, versions kept, pruned, moved and restored, listings by
// directory, and the global owner apart from every user.
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "TempDir.h"
#include "UserFileStore.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Exception.h>

#include <memory>

using comfygate::Database;
using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;
using comfygate::userdata::QuotaExceeded;
using comfygate::userdata::StoreLimits;
using comfygate::userdata::UserFileStore;

namespace {

std::unique_ptr<PooledDatabase> migrated(const DatabaseSettings& settings)
{
    auto db = std::make_unique<PooledDatabase>(settings);
    db->open();
    db->migrate("userdata", comfygate::moduleMigrations());
    return db;
}

std::string everyByte()
{
    std::string bytes;
    for (int i = 0; i < 256; ++i)
        bytes += static_cast<char>(i);
    return bytes;
}

} // namespace

class UserFileStoreTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(UserFileStoreTest);
    CPPUNIT_TEST(onSqlite);
    CPPUNIT_TEST(onPostgres);
    CPPUNIT_TEST_SUITE_END();

public:
    using Check = void (UserFileStoreTest::*)(Database&);

    void onSqlite()
    {
        int n = 0;
        for (Check check : checks()) {
            comfygate::test::TempDir dir;
            DatabaseSettings settings;
            settings.sqlitePath = dir.file("userdata" + std::to_string(++n) + ".db");
            auto db = migrated(settings);
            run(check, *db, n);
        }
    }

    void onPostgres()
    {
        CPPUNIT_ASSERT_MESSAGE("PostgreSQL is not installed: run scripts/dev deps",
                               !comfygate::test::PostgresCluster::binDir().empty());
        comfygate::test::PostgresCluster cluster;
        int n = 0;
        for (Check check : checks()) {
            const std::string name = "userdata" + std::to_string(++n);
            cluster.createDatabase(name);
            DatabaseSettings settings;
            settings.backend = Database::Backend::PostgreSQL;
            settings.postgresConnection = cluster.connectionString(name);
            auto db = migrated(settings);
            run(check, *db, n);
        }
    }

private:
    /// Runs one check, naming it when the database throws.
    void run(Check check, Database& db, int number)
    {
        try {
            (this->*check)(db);
        } catch (const Poco::Exception& e) {
            CPPUNIT_FAIL("check " + std::to_string(number) + ": " + e.displayText());
        }
    }

    static std::vector<Check> checks()
    {
        return {&UserFileStoreTest::binaryContentRoundTrips, &UserFileStoreTest::overwriteNeedsConsent,
                &UserFileStoreTest::quotasRefuseAndWriteNothing, &UserFileStoreTest::versionsAreKeptAndPruned,
                &UserFileStoreTest::moveCarriesVersionsAndRespectsTheDestination,
                &UserFileStoreTest::listingsFollowDirectories, &UserFileStoreTest::ownersAreApart};
    }

    StoreLimits limits(int versions = 20) const
    {
        StoreLimits limits;
        limits.maxFileBytes = 1024 * 1024;
        limits.maxFiles = 3;
        limits.maxTotalBytes = 2 * 1024 * 1024;
        limits.versionsKept = versions;
        return limits;
    }

    void binaryContentRoundTrips(Database& db)
    {
        UserFileStore store(db, limits());
        const std::string bytes = everyByte() + everyByte();
        CPPUNIT_ASSERT(store.write("u1", "images/all.bin", bytes, false, "u1") == UserFileStore::WriteResult::Created);
        CPPUNIT_ASSERT(store.read("u1", "images/all.bin") == bytes);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(512), store.info("u1", "images/all.bin")->size);
        store.write("u1", "empty.txt", "", false, "u1");
        CPPUNIT_ASSERT(store.read("u1", "empty.txt") == std::string());
        CPPUNIT_ASSERT(!store.read("u1", "missing.txt"));
    }

    void overwriteNeedsConsent(Database& db)
    {
        std::int64_t now = 1000;
        UserFileStore store(db, limits(), [&] { return now; });
        store.write("u1", "workflows/a.json", "{\"v\":1}", false, "u1");
        now = 2000;
        CPPUNIT_ASSERT(store.write("u1", "workflows/a.json", "{\"v\":2}", false, "u1") ==
                       UserFileStore::WriteResult::AlreadyExists);
        CPPUNIT_ASSERT(store.read("u1", "workflows/a.json") == std::string("{\"v\":1}"));
        CPPUNIT_ASSERT(store.write("u1", "workflows/a.json", "{\"v\":2}", true, "u1") ==
                       UserFileStore::WriteResult::Replaced);
        const auto info = store.info("u1", "workflows/a.json");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1000), info->createdMs);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2000), info->modifiedMs);
    }

    void quotasRefuseAndWriteNothing(Database& db)
    {
        UserFileStore store(db, limits());
        const std::string mib(1024 * 1024, 'x');
        CPPUNIT_ASSERT_THROW(store.write("u1", "big.bin", mib + "x", false, "u1"), QuotaExceeded);
        CPPUNIT_ASSERT(!store.info("u1", "big.bin"));
        store.write("u1", "a.bin", mib, false, "u1");
        store.write("u1", "b.bin", mib, false, "u1");
        try {
            store.write("u1", "c.bin", "1", false, "u1");
            CPPUNIT_FAIL("a third MiB beyond the 2 MiB total was accepted");
        } catch (const QuotaExceeded& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("bytes"), e.limit());
        }
        CPPUNIT_ASSERT(!store.info("u1", "c.bin"));
        // Replacing a file with a smaller one is always possible, so a full user can clean up.
        store.write("u1", "b.bin", "small", true, "u1");
        store.write("u1", "c.bin", "1", false, "u1");
        try {
            store.write("u1", "d.bin", "1", false, "u1");
            CPPUNIT_FAIL("a fourth file beyond max_files was accepted");
        } catch (const QuotaExceeded& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("files"), e.limit());
        }
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3), store.usage("u1").files);
        // The global workflows have no count or total quota.
        for (int i = 0; i < 5; ++i)
            store.write(UserFileStore::globalOwner, "workflows/g" + std::to_string(i) + ".json", "{}", false, "admin");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(5), store.usage(UserFileStore::globalOwner).files);
    }

    void versionsAreKeptAndPruned(Database& db)
    {
        UserFileStore store(db, limits(2));
        for (int i = 1; i <= 4; ++i)
            store.write("u1", "workflows/w.json", "{\"v\":" + std::to_string(i) + "}", true, "u1");
        auto versions = store.versions("u1", "workflows/w.json");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), versions.size());
        CPPUNIT_ASSERT(versions[0].id > versions[1].id);
        CPPUNIT_ASSERT(store.versionContent("u1", "workflows/w.json", versions[0].id) == std::string("{\"v\":3}"));
        CPPUNIT_ASSERT(store.versionContent("u1", "workflows/w.json", versions[1].id) == std::string("{\"v\":2}"));
        CPPUNIT_ASSERT(!store.versionContent("u2", "workflows/w.json", versions[0].id));
        // A delete keeps the last content, so it can be restored.
        CPPUNIT_ASSERT(store.remove("u1", "workflows/w.json", "u1"));
        CPPUNIT_ASSERT(!store.read("u1", "workflows/w.json"));
        versions = store.versions("u1", "workflows/w.json");
        CPPUNIT_ASSERT(store.versionContent("u1", "workflows/w.json", versions[0].id) == std::string("{\"v\":4}"));
        CPPUNIT_ASSERT(!store.remove("u1", "workflows/w.json", "u1"));
        // Without keepOld (settings) nothing is kept.
        store.write("u1", "comfy.settings.json", "{}", true, "u1", false);
        store.write("u1", "comfy.settings.json", "{\"a\":1}", true, "u1", false);
        CPPUNIT_ASSERT(store.versions("u1", "comfy.settings.json").empty());
    }

    void moveCarriesVersionsAndRespectsTheDestination(Database& db)
    {
        UserFileStore store(db, limits());
        store.write("u1", "workflows/a.json", "1", true, "u1");
        store.write("u1", "workflows/a.json", "2", true, "u1");
        store.write("u1", "workflows/b.json", "b", true, "u1");
        CPPUNIT_ASSERT(store.move("u1", "workflows/a.json", "workflows/b.json", false, "u1") ==
                       UserFileStore::MoveResult::DestinationExists);
        CPPUNIT_ASSERT(store.read("u1", "workflows/a.json") == std::string("2"));
        CPPUNIT_ASSERT(store.move("u1", "workflows/none.json", "workflows/c.json", true, "u1") ==
                       UserFileStore::MoveResult::SourceMissing);
        CPPUNIT_ASSERT(store.move("u1", "workflows/a.json", "workflows/b.json", true, "u1") ==
                       UserFileStore::MoveResult::Moved);
        CPPUNIT_ASSERT(!store.read("u1", "workflows/a.json"));
        CPPUNIT_ASSERT(store.read("u1", "workflows/b.json") == std::string("2"));
        // b's versions: the replaced "b" and a's earlier "1".
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), store.versions("u1", "workflows/b.json").size());
        CPPUNIT_ASSERT(store.versions("u1", "workflows/a.json").empty());
    }

    void listingsFollowDirectories(Database& db)
    {
        UserFileStore store(db, limits());
        store.write("u1", "workflows/top.json", "{}", false, "u1");
        store.write("u1", "workflows/sub/inner.json", "{}", false, "u1");
        store.write("u1", "workflows2.json", "{}", false, "u1");
        auto all = store.list("u1", "workflows", true);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), all.size());
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/sub/inner.json"), all[0].path);
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/top.json"), all[1].path);
        auto direct = store.list("u1", "workflows", false);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), direct.size());
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/top.json"), direct[0].path);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), store.list("u1", "", true).size());
        CPPUNIT_ASSERT(store.directoryExists("u1", "workflows/sub"));
        CPPUNIT_ASSERT(!store.directoryExists("u1", "workflows/top.json"));
        CPPUNIT_ASSERT(!store.directoryExists("u1", "work"));
    }

    void ownersAreApart(Database& db)
    {
        UserFileStore store(db, limits());
        store.write("u1", "workflows/a.json", "mine", false, "u1");
        store.write(UserFileStore::globalOwner, "workflows/a.json", "global", false, "admin");
        CPPUNIT_ASSERT(store.read("u1", "workflows/a.json") == std::string("mine"));
        CPPUNIT_ASSERT(store.read(UserFileStore::globalOwner, "workflows/a.json") == std::string("global"));
        CPPUNIT_ASSERT(!store.read("u2", "workflows/a.json"));
        CPPUNIT_ASSERT(store.list("u2", "workflows").empty());
        const auto owners = store.owners();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), owners.size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UserFileStoreTest);
