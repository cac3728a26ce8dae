// The Comfy Cloud tables: tasks, assets, and attaching one asset to a task exactly once —
// on SQLite and, when installed, PostgreSQL.
#include "AssetStore.h"
#include "DownloadTesting.h"

#include <cppunit/extensions/HelperMacros.h>

#include <iostream>

using comfygate::Database;
using comfygate::DatabaseSettings;
using comfygate::modeldownload::AssetRecord;
using comfygate::modeldownload::AssetStore;
using comfygate::modeldownload::AssetTask;

namespace {

AssetRecord asset(const std::string& id, const std::string& user, const std::string& path, const std::string& sha)
{
    AssetRecord record;
    record.id = id;
    record.userId = user;
    record.name = path.substr(path.rfind('/') + 1);
    record.path = path;
    record.size = 1234;
    record.sha256 = sha;
    record.tagsJson = R"(["loras"])";
    record.userMetadataJson = R"({"note":"x"})";
    record.createdAt = record.updatedAt = 1700000000;
    return record;
}

} // namespace

class AssetStoreTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(AssetStoreTest);
    CPPUNIT_TEST(testSqlite);
    CPPUNIT_TEST(testPostgres);
    CPPUNIT_TEST_SUITE_END();

public:
    void testSqlite()
    {
        comfygate::test::TempDir dir;
        auto db = comfygate::test::openDownloadSqlite(dir);
        check(*db);
    }

    void testPostgres()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: AssetStoreTest::testPostgres: PostgreSQL binaries not found\n";
            return;
        }
        comfygate::test::PostgresCluster cluster;
        cluster.createDatabase("assets");
        DatabaseSettings settings;
        settings.backend = Database::Backend::PostgreSQL;
        settings.postgresConnection = cluster.connectionString("assets");
        auto db = comfygate::test::openDownloadDatabase(settings);
        check(*db);
    }

private:
    void check(Database& db)
    {
        AssetStore store(db);
        store.insertTask(AssetTask{"t1", "alice", R"({"source_url":"https://civitai.com/x"})", "", 1700000000});
        const auto task = store.findTask("t1");
        CPPUNIT_ASSERT(task);
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), task->userId);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"source_url":"https://civitai.com/x"})"), task->payloadJson);
        CPPUNIT_ASSERT(!store.findTask("t2"));

        // The first attach inserts the candidate; later ones return it, whatever they offer.
        const auto first = store.attachAsset("t1", asset("a1", "alice", "loras/x.safetensors", "abc"));
        CPPUNIT_ASSERT_EQUAL(std::string("a1"), first.id);
        CPPUNIT_ASSERT_EQUAL(std::string("a1"),
                             store.attachAsset("t1", asset("a9", "alice", "loras/x.safetensors", "abc")).id);
        CPPUNIT_ASSERT_EQUAL(std::string("a1"), store.findTask("t1")->assetId);
        CPPUNIT_ASSERT(!store.findAsset("a9"));

        // Another task of the same owner for the same file shares the asset.
        store.insertTask(AssetTask{"t2", "alice", "{}", "", 1700000001});
        CPPUNIT_ASSERT_EQUAL(std::string("a1"),
                             store.attachAsset("t2", asset("a2", "alice", "loras/x.safetensors", "abc")).id);
        // Another owner's task gets an asset of its own.
        store.insertTask(AssetTask{"t3", "bob", "{}", "", 1700000002});
        CPPUNIT_ASSERT_EQUAL(std::string("a3"),
                             store.attachAsset("t3", asset("a3", "bob", "loras/x.safetensors", "abc")).id);

        const auto found = store.findAsset("alice", "loras/x.safetensors", "abc");
        CPPUNIT_ASSERT(found);
        CPPUNIT_ASSERT_EQUAL(std::string("x.safetensors"), found->name);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1234), found->size);
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["loras"])"), found->tagsJson);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"note":"x"})"), found->userMetadataJson);
        CPPUNIT_ASSERT(!store.findAsset("alice", "loras/x.safetensors", "other"));
        CPPUNIT_ASSERT(!store.findAsset("carol", "loras/x.safetensors", "abc"));

        store.insertAsset(asset("a4", "carol", "vae/v.safetensors", "def"));
        CPPUNIT_ASSERT_EQUAL(std::string("a4"), store.findAsset("carol", "vae/v.safetensors", "def")->id);
        store.removeTask("t3");
        CPPUNIT_ASSERT(!store.findTask("t3"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AssetStoreTest);
