#include "AuthStoreTesting.h"
#include "ApiTokenStore.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "SwarmSessionStore.h"
#include "TempDir.h"
#include "UserStore.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <iostream>
#include <memory>
#include <stdexcept>

using comfygate::Database;
using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;
using comfygate::auth::AmbiguousPrefix;
using comfygate::auth::ApiToken;
using comfygate::auth::ApiTokenStore;
using comfygate::auth::SwarmSessionStore;
using comfygate::auth::UserStore;

using comfygate::test::openDatabase;
using comfygate::test::sqliteSettings;
using comfygate::test::sha256;
using comfygate::test::throws;

namespace {

constexpr std::int64_t t0 = 1700000000;

// Two hashes sharing their first 8 hex digits.
const std::string twinA = "abcdef01" + std::string(56, '1');
const std::string twinB = "abcdef01" + std::string(56, '2');

} // namespace

class ApiTokenStoreTest : public comfygate::test::SqliteStoreFixture
{
    CPPUNIT_TEST_SUITE(ApiTokenStoreTest);
    CPPUNIT_TEST(testCreateAndFind);
    CPPUNIT_TEST(testCreateRefusals);
    CPPUNIT_TEST(testListForUser);
    CPPUNIT_TEST(testRevokeByPrefix);
    CPPUNIT_TEST(testBadPrefixRefused);
    CPPUNIT_TEST(testAmbiguousPrefixRevokesNothing);
    CPPUNIT_TEST(testRevokeForUser);
    CPPUNIT_TEST(testTouchWritesAtMostEvery30Seconds);
    CPPUNIT_TEST(testPurgeExpired);
    CPPUNIT_TEST(testRevocationEndsSwarmSessions);
    CPPUNIT_TEST(testSurvivesRestart);
    CPPUNIT_TEST(testPostgres);
    CPPUNIT_TEST_SUITE_END();

public:

    void testCreateAndFind() { checkCreateAndFind(*_db); }
    void testCreateRefusals() { checkCreateRefusals(*_db); }
    void testListForUser() { checkList(*_db); }
    void testRevokeByPrefix() { checkRevokeByPrefix(*_db); }
    void testBadPrefixRefused() { checkBadPrefix(*_db); }
    void testAmbiguousPrefixRevokesNothing() { checkAmbiguousPrefix(*_db); }
    void testRevokeForUser() { checkRevokeForUser(*_db); }
    void testTouchWritesAtMostEvery30Seconds() { checkTouch(*_db); }
    void testPurgeExpired() { checkPurge(*_db); }
    void testRevocationEndsSwarmSessions() { checkSwarmSessionsDie(*_db); }

    void testSurvivesRestart()
    {
        {
            const std::string alice = UserStore(*_db).create("alice", "power", {}, "", t0).id;
            ApiTokenStore tokens(*_db);
            tokens.create(sha256("kept"), alice, "ci", t0, 0);
            tokens.create(sha256("gone"), alice, "old", t0, 0);
            tokens.revokeByPrefix(alice, sha256("gone").substr(0, 12));
        }
        _db->close();
        _db = openDatabase(sqliteSettings(*_dir));
        ApiTokenStore tokens(*_db);
        CPPUNIT_ASSERT(tokens.findByHash(sha256("kept")));
        CPPUNIT_ASSERT_EQUAL(std::string("ci"), tokens.findByHash(sha256("kept"))->label);
        CPPUNIT_ASSERT(!tokens.findByHash(sha256("gone")));
    }

    void testPostgres()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: ApiTokenStoreTest::testPostgres: PostgreSQL binaries not "
                         "found\n";
            return;
        }
        comfygate::test::PostgresCluster cluster;
        int n = 0;
        for (auto check :
             {&ApiTokenStoreTest::checkCreateAndFind, &ApiTokenStoreTest::checkCreateRefusals,
              &ApiTokenStoreTest::checkList, &ApiTokenStoreTest::checkRevokeByPrefix,
              &ApiTokenStoreTest::checkBadPrefix, &ApiTokenStoreTest::checkAmbiguousPrefix,
              &ApiTokenStoreTest::checkRevokeForUser, &ApiTokenStoreTest::checkTouch,
              &ApiTokenStoreTest::checkPurge, &ApiTokenStoreTest::checkSwarmSessionsDie}) {
            const std::string name = "tokens" + std::to_string(++n);
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
        return UserStore(db).create(name, "power", {}, "", t0).id;
    }

    void checkCreateAndFind(Database& db)
    {
        const std::string alice = user(db, "alice");
        ApiTokenStore tokens(db);
        const std::string hash = sha256("token-1");
        tokens.create(hash, alice, "Zo\xc3\xab's laptop", t0, t0 + 720 * 3600);
        const std::optional<ApiToken> found = tokens.findByHash(hash);
        CPPUNIT_ASSERT(found);
        CPPUNIT_ASSERT_EQUAL(hash, found->hash);
        CPPUNIT_ASSERT_EQUAL(alice, found->userId);
        CPPUNIT_ASSERT_EQUAL(std::string("Zo\xc3\xab's laptop"), found->label);
        CPPUNIT_ASSERT_EQUAL(t0, found->createdAt);
        CPPUNIT_ASSERT_EQUAL(t0 + 720 * 3600, found->expiresAt);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), found->lastUsedAt);
        CPPUNIT_ASSERT(found->activeAt(t0 + 720 * 3600 - 1));
        CPPUNIT_ASSERT(!found->activeAt(t0 + 720 * 3600));
        CPPUNIT_ASSERT(!tokens.findByHash(sha256("token-2")));

        tokens.create(sha256("forever"), alice, "", t0, 0);
        CPPUNIT_ASSERT(tokens.findByHash(sha256("forever"))->activeAt(t0 + 1000000000));
    }

    void checkCreateRefusals(Database& db)
    {
        const std::string alice = user(db, "alice");
        ApiTokenStore tokens(db);
        const std::string hash = sha256("t");
        std::string upper = hash;
        for (char& c : upper)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        for (const std::string& bad : {upper, hash.substr(1), hash + "0",
                                       std::string(64, 'g'), std::string()}) {
            CPPUNIT_ASSERT_MESSAGE(bad, throws<std::invalid_argument>(
                                            [&] { tokens.create(bad, alice, "", t0, 0); }));
        }
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { tokens.create(hash, alice, std::string(2001, 'l'), t0, 0); }));
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { tokens.create(hash, alice, "bad \xff utf-8", t0, 0); }));
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { tokens.create(hash, "ffffffffffffffff", "", t0, 0); }));
        CPPUNIT_ASSERT(!tokens.findByHash(hash));
        tokens.create(hash, alice, std::string(200, 'l'), t0, 0);
        CPPUNIT_ASSERT(tokens.findByHash(hash));
    }

    void checkList(Database& db)
    {
        const std::string alice = user(db, "alice");
        const std::string bob = user(db, "bob");
        ApiTokenStore tokens(db);
        tokens.create(sha256("a-old"), alice, "old", t0, t0 + 10);
        tokens.create(sha256("a-new"), alice, "new", t0 + 5, 0);
        tokens.create(sha256("b"), bob, "bob's", t0, 0);
        const std::vector<ApiToken> list = tokens.listForUser(alice);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), list.size());
        CPPUNIT_ASSERT_EQUAL(std::string("new"), list[0].label);
        CPPUNIT_ASSERT_EQUAL(std::string("old"), list[1].label); // expired ones are listed too
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tokens.listForUser(bob).size());
        CPPUNIT_ASSERT(tokens.listForUser("ffffffffffffffff").empty());
    }

    void checkRevokeByPrefix(Database& db)
    {
        const std::string alice = user(db, "alice");
        const std::string bob = user(db, "bob");
        ApiTokenStore tokens(db);
        const std::string mine = sha256("mine");
        const std::string other = sha256("bobs");
        tokens.create(mine, alice, "", t0, 0);
        tokens.create(other, bob, "", t0, 0);

        // Another user's token is out of reach, even by its full hash.
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tokens.revokeByPrefix(alice, other));
        CPPUNIT_ASSERT(tokens.findByHash(other));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tokens.revokeByPrefix(alice, "00000000"));

        std::string upperPrefix = mine.substr(0, 10);
        for (char& c : upperPrefix)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tokens.revokeByPrefix(alice, upperPrefix));
        CPPUNIT_ASSERT(!tokens.findByHash(mine));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tokens.revokeByPrefix(alice, mine));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tokens.revokeByPrefix(bob, other));
    }

    void checkBadPrefix(Database& db)
    {
        const std::string alice = user(db, "alice");
        ApiTokenStore tokens(db);
        const std::string hash = sha256("t");
        tokens.create(hash, alice, "", t0, 0);
        for (const std::string& bad : {hash.substr(0, 7), std::string(), std::string("abcdefgh"),
                                       std::string("abcd%123"), hash + "0",
                                       std::string("abcd'--1")}) {
            CPPUNIT_ASSERT_MESSAGE(bad, throws<std::invalid_argument>(
                                            [&] { tokens.revokeByPrefix(alice, bad); }));
        }
        CPPUNIT_ASSERT(tokens.findByHash(hash));
    }

    void checkAmbiguousPrefix(Database& db)
    {
        const std::string alice = user(db, "alice");
        const std::string bob = user(db, "bob");
        ApiTokenStore tokens(db);
        tokens.create(twinA, alice, "", t0, 0);
        tokens.create(twinB, alice, "", t0, 0);
        CPPUNIT_ASSERT(throws<AmbiguousPrefix>([&] { tokens.revokeByPrefix(alice, "abcdef01"); }));
        CPPUNIT_ASSERT(tokens.findByHash(twinA));
        CPPUNIT_ASSERT(tokens.findByHash(twinB));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tokens.revokeByPrefix(alice, "abcdef012"));
        CPPUNIT_ASSERT(tokens.findByHash(twinA));
        CPPUNIT_ASSERT(!tokens.findByHash(twinB));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tokens.revokeByPrefix(alice, "abcdef01"));
        CPPUNIT_ASSERT(!tokens.findByHash(twinA));
        // A namesake prefix among another user's tokens does not make it ambiguous.
        tokens.create(twinA, alice, "", t0, 0);
        tokens.create(twinB, bob, "", t0, 0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tokens.revokeByPrefix(alice, "abcdef01"));
        CPPUNIT_ASSERT(tokens.findByHash(twinB));
    }

    void checkRevokeForUser(Database& db)
    {
        const std::string alice = user(db, "alice");
        const std::string bob = user(db, "bob");
        ApiTokenStore tokens(db);
        tokens.create(sha256("a1"), alice, "", t0, 0);
        tokens.create(sha256("a2"), alice, "", t0, 0);
        tokens.create(sha256("b1"), bob, "", t0, 0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), tokens.revokeForUser(alice));
        CPPUNIT_ASSERT(tokens.listForUser(alice).empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tokens.listForUser(bob).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), tokens.revokeForUser(alice));
    }

    void checkTouch(Database& db)
    {
        const std::string alice = user(db, "alice");
        ApiTokenStore tokens(db);
        const std::string hash = sha256("t");
        tokens.create(hash, alice, "", t0, 0);
        CPPUNIT_ASSERT(tokens.touch(hash, t0 + 100));
        CPPUNIT_ASSERT_EQUAL(t0 + 100, tokens.findByHash(hash)->lastUsedAt);
        CPPUNIT_ASSERT(!tokens.touch(hash, t0 + 129));
        CPPUNIT_ASSERT_EQUAL(t0 + 100, tokens.findByHash(hash)->lastUsedAt);
        ApiTokenStore other(db);
        CPPUNIT_ASSERT(!other.touch(hash, t0 + 120));
        CPPUNIT_ASSERT_EQUAL(t0 + 100, tokens.findByHash(hash)->lastUsedAt);
        CPPUNIT_ASSERT(tokens.touch(hash, t0 + 130));
        CPPUNIT_ASSERT_EQUAL(t0 + 130, tokens.findByHash(hash)->lastUsedAt);
        CPPUNIT_ASSERT(!tokens.touch(sha256("unknown"), t0));
    }

    void checkPurge(Database& db)
    {
        const std::string alice = user(db, "alice");
        ApiTokenStore tokens(db);
        tokens.create(sha256("long-expired"), alice, "", t0, t0 + 10);
        tokens.create(sha256("just-expired"), alice, "", t0, t0 + 86400);
        tokens.create(sha256("forever"), alice, "", t0, 0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tokens.purgeExpired(t0 + 86400 + 100));
        CPPUNIT_ASSERT(!tokens.findByHash(sha256("long-expired")));
        CPPUNIT_ASSERT(tokens.findByHash(sha256("just-expired")));
        CPPUNIT_ASSERT(tokens.findByHash(sha256("forever")));
    }

    void checkSwarmSessionsDie(Database& db)
    {
        const std::string alice = user(db, "alice");
        ApiTokenStore tokens(db);
        SwarmSessionStore swarm(db);
        for (const char* name : {"t1", "t2", "t3"}) {
            tokens.create(sha256(name), alice, "", t0, t0 + 10);
            swarm.create(sha256(std::string("swarm-") + name), alice, "api_token", sha256(name),
                         t0);
        }
        tokens.revokeByPrefix(alice, sha256("t1").substr(0, 16));
        CPPUNIT_ASSERT(!swarm.find(sha256("swarm-t1")));
        CPPUNIT_ASSERT(swarm.find(sha256("swarm-t2")));
        tokens.purgeExpired(t0 + 10 + 86401);
        CPPUNIT_ASSERT(!swarm.find(sha256("swarm-t2")));
        CPPUNIT_ASSERT(!swarm.find(sha256("swarm-t3")));

        tokens.create(sha256("t4"), alice, "", t0, 0);
        swarm.create(sha256("swarm-t4"), alice, "api_token", sha256("t4"), t0);
        tokens.revokeForUser(alice);
        CPPUNIT_ASSERT(!swarm.find(sha256("swarm-t4")));
    }

};

CPPUNIT_TEST_SUITE_REGISTRATION(ApiTokenStoreTest);
