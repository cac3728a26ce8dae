#include "AuthStoreTesting.h"
#include "ApiTokenStore.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "SessionStore.h"
#include "SwarmSessionStore.h"
#include "TempDir.h"
#include "UserStore.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/Session.h>
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <iostream>
#include <memory>
#include <stdexcept>

using namespace Poco::Data::Keywords;
using comfygate::Database;
using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;
using comfygate::auth::ApiTokenStore;
using comfygate::auth::SessionStore;
using comfygate::auth::SwarmSession;
using comfygate::auth::SwarmSessionStore;
using comfygate::auth::UserStore;

using comfygate::test::openDatabase;
using comfygate::test::sqliteSettings;
using comfygate::test::sha256;
using comfygate::test::throws;

namespace {

constexpr std::int64_t t0 = 1700000000;

void execute(Database& db, const std::string& sql, const std::string& value)
{
    db.write([&](Poco::Data::Session& session) {
        session << db.translate(sql), bind(value), now;
    });
}

} // namespace

class SwarmSessionStoreTest : public comfygate::test::SqliteStoreFixture
{
    CPPUNIT_TEST_SUITE(SwarmSessionStoreTest);
    CPPUNIT_TEST(testCreateAndFind);
    CPPUNIT_TEST(testCreateRefusals);
    CPPUNIT_TEST(testLiveOnlyWhileCredentialIs);
    CPPUNIT_TEST(testLogOutEverywhereEndsSwarmSessions);
    CPPUNIT_TEST(testRemovals);
    CPPUNIT_TEST(testTouchWritesAtMostEvery30Seconds);
    CPPUNIT_TEST(testPurgeStale);
    CPPUNIT_TEST(testSurvivesRestart);
    CPPUNIT_TEST(testPostgres);
    CPPUNIT_TEST_SUITE_END();

public:

    void testCreateAndFind() { checkCreateAndFind(*_db); }
    void testCreateRefusals() { checkCreateRefusals(*_db); }
    void testLiveOnlyWhileCredentialIs() { checkLive(*_db); }
    void testLogOutEverywhereEndsSwarmSessions() { checkTokensValidAfter(*_db); }
    void testRemovals() { checkRemovals(*_db); }
    void testTouchWritesAtMostEvery30Seconds() { checkTouch(*_db); }
    void testPurgeStale() { checkPurge(*_db); }

    void testSurvivesRestart()
    {
        {
            const std::string alice = UserStore(*_db).create("alice", "user", {}, "", t0).id;
            SessionStore(*_db).create("jti", alice, t0, t0 + 3600, "", "");
            SwarmSessionStore(*_db).create(sha256("sid"), alice, "session", "jti", t0);
        }
        _db->close();
        _db = openDatabase(sqliteSettings(*_dir));
        CPPUNIT_ASSERT(SwarmSessionStore(*_db).findLive(sha256("sid"), t0 + 10));
    }

    void testPostgres()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: SwarmSessionStoreTest::testPostgres: PostgreSQL binaries not "
                         "found\n";
            return;
        }
        comfygate::test::PostgresCluster cluster;
        int n = 0;
        for (auto check :
             {&SwarmSessionStoreTest::checkCreateAndFind,
              &SwarmSessionStoreTest::checkCreateRefusals, &SwarmSessionStoreTest::checkLive,
              &SwarmSessionStoreTest::checkTokensValidAfter, &SwarmSessionStoreTest::checkRemovals,
              &SwarmSessionStoreTest::checkTouch, &SwarmSessionStoreTest::checkPurge}) {
            const std::string name = "swarm" + std::to_string(++n);
            cluster.createDatabase(name);
            DatabaseSettings settings;
            settings.backend = Database::Backend::PostgreSQL;
            settings.postgresConnection = cluster.connectionString(name);
            std::unique_ptr<PooledDatabase> db = openDatabase(settings);
            (this->*check)(*db);
        }
    }

private:
    // A user with a session "jti-<name>" and an API token sha256("token-<name>").
    std::string user(Database& db, const std::string& name)
    {
        const std::string id = UserStore(db).create(name, "user", {}, "", t0).id;
        SessionStore(db).create("jti-" + name, id, t0, t0 + 3600, "", "");
        ApiTokenStore(db).create(sha256("token-" + name), id, "", t0, t0 + 7200);
        return id;
    }

    void checkCreateAndFind(Database& db)
    {
        const std::string alice = user(db, "alice");
        SwarmSessionStore swarm(db);
        swarm.create(sha256("s1"), alice, "session", "jti-alice", t0 + 5);
        swarm.create(sha256("s2"), alice, "api_token", sha256("token-alice"), t0 + 6);
        const std::optional<SwarmSession> s1 = swarm.find(sha256("s1"));
        CPPUNIT_ASSERT(s1);
        CPPUNIT_ASSERT_EQUAL(alice, s1->userId);
        CPPUNIT_ASSERT_EQUAL(std::string("session"), s1->credentialKind);
        CPPUNIT_ASSERT_EQUAL(std::string("jti-alice"), s1->credentialId);
        CPPUNIT_ASSERT_EQUAL(t0 + 5, s1->createdAt);
        CPPUNIT_ASSERT_EQUAL(t0 + 5, s1->lastUsedAt);
        const std::optional<SwarmSession> s2 = swarm.findLive(sha256("s2"), t0 + 10);
        CPPUNIT_ASSERT(s2);
        CPPUNIT_ASSERT_EQUAL(std::string("api_token"), s2->credentialKind);
        CPPUNIT_ASSERT_EQUAL(sha256("token-alice"), s2->credentialId);
        CPPUNIT_ASSERT(!swarm.find(sha256("s3")));
        CPPUNIT_ASSERT(!swarm.findLive(sha256("s3"), t0));
    }

    void checkCreateRefusals(Database& db)
    {
        const std::string alice = user(db, "alice");
        user(db, "bob");
        SwarmSessionStore swarm(db);
        const std::string sid = sha256("sid");
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { swarm.create("raw-session-id", alice, "session", "jti-alice", t0); }));
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { swarm.create(sid, alice, "password", "jti-alice", t0); }));
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { swarm.create(sid, alice, "session", "jti-unknown", t0); }));
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { swarm.create(sid, alice, "session", "jti-bob", t0); }));
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { swarm.create(sid, alice, "api_token", sha256("token-bob"), t0); }));
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { swarm.create(sid, alice, "api_token", "jti-alice", t0); }));
        CPPUNIT_ASSERT(!swarm.find(sid));
    }

    void checkLive(Database& db)
    {
        const std::string alice = user(db, "alice");
        SwarmSessionStore swarm(db);
        swarm.create(sha256("by-session"), alice, "session", "jti-alice", t0);
        swarm.create(sha256("by-token"), alice, "api_token", sha256("token-alice"), t0);
        CPPUNIT_ASSERT(swarm.findLive(sha256("by-session"), t0 + 3599));
        CPPUNIT_ASSERT(!swarm.findLive(sha256("by-session"), t0 + 3600)); // session expired
        CPPUNIT_ASSERT(swarm.findLive(sha256("by-token"), t0 + 7199));
        CPPUNIT_ASSERT(!swarm.findLive(sha256("by-token"), t0 + 7200)); // token expired

        // Revoked or deleted behind the stores' backs: find() still has the row,
        // findLive() refuses it.
        execute(db, "UPDATE session_tokens SET revoked = 1 WHERE jti = ?", "jti-alice");
        CPPUNIT_ASSERT(swarm.find(sha256("by-session")));
        CPPUNIT_ASSERT(!swarm.findLive(sha256("by-session"), t0 + 10));
        execute(db, "DELETE FROM api_tokens WHERE hash = ?", sha256("token-alice"));
        CPPUNIT_ASSERT(swarm.find(sha256("by-token")));
        CPPUNIT_ASSERT(!swarm.findLive(sha256("by-token"), t0 + 10));
    }

    void checkTokensValidAfter(Database& db)
    {
        const std::string alice = user(db, "alice");
        SwarmSessionStore swarm(db);
        swarm.create(sha256("old"), alice, "api_token", sha256("token-alice"), t0 + 10);
        UserStore(db).setTokensValidAfter(alice, t0 + 20);
        CPPUNIT_ASSERT(!swarm.findLive(sha256("old"), t0 + 30));
        swarm.create(sha256("new"), alice, "api_token", sha256("token-alice"), t0 + 20);
        CPPUNIT_ASSERT(swarm.findLive(sha256("new"), t0 + 30));
    }

    void checkRemovals(Database& db)
    {
        const std::string alice = user(db, "alice");
        const std::string bob = user(db, "bob");
        SwarmSessionStore swarm(db);
        swarm.create(sha256("a1"), alice, "session", "jti-alice", t0);
        swarm.create(sha256("a2"), alice, "session", "jti-alice", t0);
        swarm.create(sha256("a3"), alice, "api_token", sha256("token-alice"), t0);
        swarm.create(sha256("b1"), bob, "session", "jti-bob", t0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), swarm.removeForCredential("session", "jti-alice"));
        CPPUNIT_ASSERT(!swarm.find(sha256("a1")));
        CPPUNIT_ASSERT(swarm.find(sha256("a3")));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), swarm.removeForCredential("api_token", "jti-alice"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), swarm.removeForUser(alice));
        CPPUNIT_ASSERT(!swarm.find(sha256("a3")));
        CPPUNIT_ASSERT(swarm.remove(sha256("b1")));
        CPPUNIT_ASSERT(!swarm.remove(sha256("b1")));
    }

    void checkTouch(Database& db)
    {
        const std::string alice = user(db, "alice");
        SwarmSessionStore swarm(db);
        swarm.create(sha256("sid"), alice, "session", "jti-alice", t0);
        CPPUNIT_ASSERT(!swarm.touch(sha256("sid"), t0 + 29));
        CPPUNIT_ASSERT_EQUAL(t0, swarm.find(sha256("sid"))->lastUsedAt);
        CPPUNIT_ASSERT(swarm.touch(sha256("sid"), t0 + 30));
        CPPUNIT_ASSERT_EQUAL(t0 + 30, swarm.find(sha256("sid"))->lastUsedAt);
        SwarmSessionStore other(db);
        CPPUNIT_ASSERT(!other.touch(sha256("sid"), t0 + 40));
        CPPUNIT_ASSERT(other.touch(sha256("sid"), t0 + 70));
        CPPUNIT_ASSERT_EQUAL(t0 + 70, swarm.find(sha256("sid"))->lastUsedAt);
    }

    void checkPurge(Database& db)
    {
        const std::string alice = user(db, "alice");
        SwarmSessionStore swarm(db);
        swarm.create(sha256("idle"), alice, "api_token", sha256("token-alice"), t0);
        swarm.create(sha256("busy"), alice, "api_token", sha256("token-alice"), t0);
        swarm.create(sha256("dead"), alice, "session", "jti-alice", t0);
        swarm.touch(sha256("busy"), t0 + 500);
        execute(db, "UPDATE session_tokens SET revoked = 1 WHERE jti = ?", "jti-alice");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), swarm.purgeStale(400, t0 + 600));
        CPPUNIT_ASSERT(!swarm.find(sha256("idle")));
        CPPUNIT_ASSERT(!swarm.find(sha256("dead")));
        CPPUNIT_ASSERT(swarm.find(sha256("busy")));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), swarm.purgeStale(400, t0 + 600));
    }

};

CPPUNIT_TEST_SUITE_REGISTRATION(SwarmSessionStoreTest);
