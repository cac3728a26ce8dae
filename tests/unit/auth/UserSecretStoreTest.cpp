#include "AuthStoreTesting.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "SealedSecrets.h"
#include "TempDir.h"
#include "UserSecretStore.h"
#include "UserStore.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/Session.h>

#include <ctime>
#include <iostream>
#include <memory>
#include <stdexcept>

using namespace Poco::Data::Keywords;
using comfygate::Database;
using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;
using comfygate::auth::UserSecretStore;
using comfygate::auth::UserStore;

using comfygate::test::openDatabase;
using comfygate::test::sqliteSettings;
using comfygate::test::throws;

namespace {

constexpr std::int64_t t0 = 1700000000;
const std::string serverKey = "0123456789abcdef0123456789abcdef-test-key";

std::string storedValue(Database& db, const std::string& userId, const std::string& provider)
{
    std::string sealed;
    Poco::Data::Session session = db.session();
    session << db.translate("SELECT sealed FROM user_secrets WHERE user_id = ? AND provider = ?"),
        into(sealed), bind(userId), bind(provider), now;
    return sealed;
}

} // namespace

class UserSecretStoreTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(UserSecretStoreTest);
    CPPUNIT_TEST(testSetUseAndStatus);
    CPPUNIT_TEST(testSealedAndBoundToUserAndProvider);
    CPPUNIT_TEST(testEmptySecretClears);
    CPPUNIT_TEST(testProviderNamesValidated);
    CPPUNIT_TEST(testUnknownUserRefused);
    CPPUNIT_TEST(testSurvivesRestart);
    CPPUNIT_TEST(testPostgres);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = std::make_unique<comfygate::test::TempDir>();
        _db = openDatabase(sqliteSettings(*_dir));
        _secrets = std::make_unique<comfygate::SealedSecrets>(serverKey, "");
    }

    void tearDown() override
    {
        _db.reset();
        _dir.reset();
    }

    void testSetUseAndStatus() { checkSetUse(*_db); }
    void testSealedAndBoundToUserAndProvider() { checkSealed(*_db); }
    void testEmptySecretClears() { checkClear(*_db); }
    void testProviderNamesValidated() { checkProviders(*_db); }
    void testUnknownUserRefused() { checkUnknownUser(*_db); }

    void testSurvivesRestart()
    {
        const std::string alice = UserStore(*_db).create("alice", "user", {}, "", t0).id;
        UserSecretStore(*_db, *_secrets).set(alice, "huggingface", "hf_secret");
        _db->close();
        _db = openDatabase(sqliteSettings(*_dir));
        comfygate::SealedSecrets secrets(serverKey, "");
        UserSecretStore store(*_db, secrets);
        CPPUNIT_ASSERT_EQUAL(std::string("hf_secret"),
                             store.use(alice, "huggingface").value_or(""));
        // With another server key the value does not open.
        comfygate::SealedSecrets otherKey("another-server-key-of-at-least-32-bytes!", "");
        CPPUNIT_ASSERT(throws<std::runtime_error>(
            [&] { UserSecretStore(*_db, otherKey).use(alice, "huggingface"); }));
    }

    void testPostgres()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: UserSecretStoreTest::testPostgres: PostgreSQL binaries not "
                         "found\n";
            return;
        }
        comfygate::test::PostgresCluster cluster;
        int n = 0;
        for (auto check : {&UserSecretStoreTest::checkSetUse, &UserSecretStoreTest::checkSealed,
                           &UserSecretStoreTest::checkClear, &UserSecretStoreTest::checkProviders,
                           &UserSecretStoreTest::checkUnknownUser}) {
            const std::string name = "secrets" + std::to_string(++n);
            cluster.createDatabase(name);
            DatabaseSettings settings;
            settings.backend = Database::Backend::PostgreSQL;
            settings.postgresConnection = cluster.connectionString(name);
            std::unique_ptr<PooledDatabase> db = openDatabase(settings);
            (this->*check)(*db);
        }
    }

private:
    std::string user(Database& db, const std::string& name)
    {
        return UserStore(db).create(name, "user", {}, "", t0).id;
    }

    void checkSetUse(Database& db)
    {
        const std::string alice = user(db, "alice");
        const std::string bob = user(db, "bob");
        UserSecretStore store(db, *_secrets);
        comfygate::services::UserSecrets& service = store;
        CPPUNIT_ASSERT(service.providers(alice).empty());
        CPPUNIT_ASSERT(!service.use(alice, "civitai"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), store.updatedAt(alice, "civitai"));

        const std::int64_t before = std::time(nullptr);
        service.set(alice, "civitai", "civitai-key-1");
        service.set(alice, "huggingface", std::string("hf_\x00\xff binary", 12));
        const std::int64_t after = std::time(nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("civitai-key-1"),
                             service.use(alice, "civitai").value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::string("hf_\x00\xff binary", 12),
                             service.use(alice, "huggingface").value_or(""));
        CPPUNIT_ASSERT(service.providers(alice)
                       == std::vector<std::string>({"civitai", "huggingface"}));
        CPPUNIT_ASSERT(store.updatedAt(alice, "civitai") >= before);
        CPPUNIT_ASSERT(store.updatedAt(alice, "civitai") <= after);
        CPPUNIT_ASSERT(service.providers(bob).empty());
        CPPUNIT_ASSERT(!service.use(bob, "civitai"));

        service.set(alice, "civitai", "civitai-key-2");
        CPPUNIT_ASSERT_EQUAL(std::string("civitai-key-2"),
                             service.use(alice, "civitai").value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), service.providers(alice).size());
    }

    void checkSealed(Database& db)
    {
        const std::string alice = user(db, "alice");
        const std::string bob = user(db, "bob");
        UserSecretStore store(db, *_secrets);
        store.set(alice, "civitai", "alice-civitai-secret");
        store.set(bob, "civitai", "bob-civitai-secret");
        store.set(alice, "stability", "alice-stability-secret");
        const std::string sealed = storedValue(db, alice, "civitai");
        CPPUNIT_ASSERT(!sealed.empty());
        CPPUNIT_ASSERT(sealed.find("alice-civitai-secret") == std::string::npos);

        // A sealed value copied to another user's row, or another provider's, does not open.
        db.write([&](Poco::Data::Session& session) {
            session << db.translate(
                "UPDATE user_secrets SET sealed = ? WHERE user_id = ? AND provider = ?"),
                bind(sealed), bind(bob), bind(std::string("civitai")), now;
            session << db.translate(
                "UPDATE user_secrets SET sealed = ? WHERE user_id = ? AND provider = ?"),
                bind(sealed), bind(alice), bind(std::string("stability")), now;
        });
        CPPUNIT_ASSERT(throws<std::runtime_error>([&] { store.use(bob, "civitai"); }));
        CPPUNIT_ASSERT(throws<std::runtime_error>([&] { store.use(alice, "stability"); }));
        CPPUNIT_ASSERT_EQUAL(std::string("alice-civitai-secret"),
                             store.use(alice, "civitai").value_or(""));
    }

    void checkClear(Database& db)
    {
        const std::string alice = user(db, "alice");
        UserSecretStore store(db, *_secrets);
        store.set(alice, "civitai", "k1");
        store.set(alice, "huggingface", "k2");
        store.set(alice, "civitai", "");
        CPPUNIT_ASSERT(!store.use(alice, "civitai"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), store.updatedAt(alice, "civitai"));
        store.clear(alice, "huggingface");
        CPPUNIT_ASSERT(!store.use(alice, "huggingface"));
        CPPUNIT_ASSERT(store.providers(alice).empty());
        store.clear(alice, "huggingface"); // clearing nothing is fine
    }

    void checkProviders(Database& db)
    {
        const std::string alice = user(db, "alice");
        UserSecretStore store(db, *_secrets);
        for (const std::string& bad : std::vector<std::string>{
                 "CivitAI", "", std::string(33, 'p'), "a b", "../x", "civitai\n", "hf.co"}) {
            CPPUNIT_ASSERT_MESSAGE(bad, throws<std::invalid_argument>(
                                            [&] { store.set(alice, bad, "k"); }));
            CPPUNIT_ASSERT(throws<std::invalid_argument>([&] { store.use(alice, bad); }));
            CPPUNIT_ASSERT(throws<std::invalid_argument>([&] { store.clear(alice, bad); }));
            CPPUNIT_ASSERT(throws<std::invalid_argument>([&] { store.updatedAt(alice, bad); }));
        }
        for (const std::string& good :
             std::vector<std::string>{"civitai", "hugging_face", "x-1", std::string(32, 'p')})
            store.set(alice, good, "k");
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), store.providers(alice).size());
    }

    void checkUnknownUser(Database& db)
    {
        UserSecretStore store(db, *_secrets);
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { store.set("ffffffffffffffff", "civitai", "k"); }));
        CPPUNIT_ASSERT(!store.use("ffffffffffffffff", "civitai"));
    }

    std::unique_ptr<comfygate::test::TempDir> _dir;
    std::unique_ptr<PooledDatabase> _db;
    std::unique_ptr<comfygate::SealedSecrets> _secrets;
};

CPPUNIT_TEST_SUITE_REGISTRATION(UserSecretStoreTest);
