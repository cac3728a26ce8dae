#include "AuthStoreTesting.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "SessionStore.h"
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
using comfygate::auth::Session;
using comfygate::auth::SessionStore;
using comfygate::auth::SwarmSessionStore;
using comfygate::auth::UserStore;

using comfygate::test::openDatabase;
using comfygate::test::sqliteSettings;
using comfygate::test::sha256;
using comfygate::test::throws;

namespace {

constexpr std::int64_t t0 = 1700000000;

std::vector<std::string> jtis(const std::vector<Session>& sessions)
{
    std::vector<std::string> out;
    for (const Session& session : sessions)
        out.push_back(session.jti);
    return out;
}

} // namespace

class SessionStoreTest : public comfygate::test::SqliteStoreFixture
{
    CPPUNIT_TEST_SUITE(SessionStoreTest);
    CPPUNIT_TEST(testCreateAndFind);
    CPPUNIT_TEST(testCreateRefusals);
    CPPUNIT_TEST(testTouchWritesAtMostEvery30Seconds);
    CPPUNIT_TEST(testRevoke);
    CPPUNIT_TEST(testRevokeForUserExceptCurrent);
    CPPUNIT_TEST(testListForUserSkipsRevokedAndExpired);
    CPPUNIT_TEST(testRevokeIdle);
    CPPUNIT_TEST(testPurgeExpired);
    CPPUNIT_TEST(testRevocationEndsSwarmSessions);
    CPPUNIT_TEST(testSurvivesRestart);
    CPPUNIT_TEST(testPostgres);
    CPPUNIT_TEST_SUITE_END();

public:

    void testCreateAndFind() { checkCreateAndFind(*_db); }
    void testCreateRefusals() { checkCreateRefusals(*_db); }
    void testTouchWritesAtMostEvery30Seconds() { checkTouch(*_db); }
    void testRevoke() { checkRevoke(*_db); }
    void testRevokeForUserExceptCurrent() { checkRevokeForUser(*_db); }
    void testListForUserSkipsRevokedAndExpired() { checkList(*_db); }
    void testRevokeIdle() { checkRevokeIdle(*_db); }
    void testPurgeExpired() { checkPurge(*_db); }
    void testRevocationEndsSwarmSessions() { checkSwarmSessionsDie(*_db); }

    void testSurvivesRestart()
    {
        std::string alice;
        {
            alice = UserStore(*_db).create("alice", "user", {}, "", t0).id;
            SessionStore sessions(*_db);
            sessions.create("kept", alice, t0, t0 + 3600, "10.0.0.1", "ua");
            sessions.create("gone", alice, t0, t0 + 3600, "10.0.0.1", "ua");
            sessions.revoke("gone");
            sessions.touch("kept", t0 + 60);
        }
        _db->close();
        _db = openDatabase(sqliteSettings(*_dir));
        SessionStore sessions(*_db);
        CPPUNIT_ASSERT(!sessions.find("kept")->revoked);
        CPPUNIT_ASSERT_EQUAL(t0 + 60, sessions.find("kept")->lastUsedAt);
        CPPUNIT_ASSERT(sessions.find("gone")->revoked);
        CPPUNIT_ASSERT(jtis(sessions.listForUser(alice, t0 + 61))
                       == std::vector<std::string>({"kept"}));
    }

    void testPostgres()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: SessionStoreTest::testPostgres: PostgreSQL binaries not "
                         "found\n";
            return;
        }
        comfygate::test::PostgresCluster cluster;
        int n = 0;
        for (auto check : {&SessionStoreTest::checkCreateAndFind,
                           &SessionStoreTest::checkCreateRefusals, &SessionStoreTest::checkTouch,
                           &SessionStoreTest::checkRevoke, &SessionStoreTest::checkRevokeForUser,
                           &SessionStoreTest::checkList, &SessionStoreTest::checkRevokeIdle,
                           &SessionStoreTest::checkPurge,
                           &SessionStoreTest::checkSwarmSessionsDie}) {
            const std::string name = "sessions" + std::to_string(++n);
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

    void checkCreateAndFind(Database& db)
    {
        const std::string alice = user(db, "alice");
        SessionStore sessions(db);
        sessions.create("jti-1", alice, t0, t0 + 3600, "203.0.113.7", "Mozilla/5.0 (X11)");
        const std::optional<Session> found = sessions.find("jti-1");
        CPPUNIT_ASSERT(found);
        CPPUNIT_ASSERT_EQUAL(std::string("jti-1"), found->jti);
        CPPUNIT_ASSERT_EQUAL(alice, found->userId);
        CPPUNIT_ASSERT_EQUAL(t0, found->createdAt);
        CPPUNIT_ASSERT_EQUAL(t0, found->lastUsedAt);
        CPPUNIT_ASSERT_EQUAL(t0 + 3600, found->expiresAt);
        CPPUNIT_ASSERT(!found->revoked);
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7"), found->clientAddress);
        CPPUNIT_ASSERT_EQUAL(std::string("Mozilla/5.0 (X11)"), found->userAgent);
        CPPUNIT_ASSERT(found->activeAt(t0 + 3599));
        CPPUNIT_ASSERT(!found->activeAt(t0 + 3600));
        CPPUNIT_ASSERT(!sessions.find("jti-2"));

        // Header bytes that are not printable ASCII cannot break the insert (PostgreSQL
        // refuses invalid UTF-8); over-long agents are cut.
        sessions.create("jti-2", alice, t0, 0, "::1",
                        "bad\xff\xfe\x01"
                        "agent"
                            + std::string(600, 'x'));
        const Session odd = *sessions.find("jti-2");
        CPPUNIT_ASSERT_EQUAL(std::size_t(512), odd.userAgent.size());
        CPPUNIT_ASSERT_EQUAL(std::string("bad???agent"), odd.userAgent.substr(0, 11));
        CPPUNIT_ASSERT(odd.activeAt(t0 + 100000000)); // 0 = no expiry
    }

    void checkCreateRefusals(Database& db)
    {
        const std::string alice = user(db, "alice");
        SessionStore sessions(db);
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { sessions.create("", alice, t0, t0 + 60, "", ""); }));
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { sessions.create(std::string(129, 'j'), alice, t0, t0 + 60, "", ""); }));
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { sessions.create("jti", "ffffffffffffffff", t0, t0 + 60, "", ""); }));
        CPPUNIT_ASSERT(!sessions.find("jti"));
        sessions.create(std::string(128, 'j'), alice, t0, t0 + 60, "", "");
        CPPUNIT_ASSERT(sessions.find(std::string(128, 'j')));
    }

    void checkTouch(Database& db)
    {
        const std::string alice = user(db, "alice");
        SessionStore sessions(db);
        sessions.create("jti", alice, t0, t0 + 3600, "", "");
        CPPUNIT_ASSERT(!sessions.touch("jti", t0 + 10));
        CPPUNIT_ASSERT_EQUAL(t0, sessions.find("jti")->lastUsedAt);
        CPPUNIT_ASSERT(sessions.touch("jti", t0 + 31));
        CPPUNIT_ASSERT_EQUAL(t0 + 31, sessions.find("jti")->lastUsedAt);
        CPPUNIT_ASSERT(!sessions.touch("jti", t0 + 40));

        // Another instance (no memory of the touches above): the database condition decides.
        SessionStore other(db);
        CPPUNIT_ASSERT(!other.touch("jti", t0 + 45));
        CPPUNIT_ASSERT_EQUAL(t0 + 31, other.find("jti")->lastUsedAt);
        CPPUNIT_ASSERT(other.touch("jti", t0 + 76));
        CPPUNIT_ASSERT_EQUAL(t0 + 76, other.find("jti")->lastUsedAt);
        CPPUNIT_ASSERT(!sessions.touch("unknown", t0 + 100));
    }

    void checkRevoke(Database& db)
    {
        const std::string alice = user(db, "alice");
        SessionStore sessions(db);
        sessions.create("jti", alice, t0, t0 + 3600, "", "");
        CPPUNIT_ASSERT(sessions.revoke("jti"));
        CPPUNIT_ASSERT(!sessions.revoke("jti"));
        CPPUNIT_ASSERT(!sessions.revoke("unknown"));
        CPPUNIT_ASSERT(sessions.find("jti")->revoked);
        CPPUNIT_ASSERT(!sessions.find("jti")->activeAt(t0 + 1));
        CPPUNIT_ASSERT(sessions.listForUser(alice, t0 + 1).empty());
    }

    void checkRevokeForUser(Database& db)
    {
        const std::string alice = user(db, "alice");
        const std::string bob = user(db, "bob");
        SessionStore sessions(db);
        sessions.create("a1", alice, t0, t0 + 3600, "", "");
        sessions.create("a2", alice, t0 + 1, t0 + 3600, "", "");
        sessions.create("a3", alice, t0 + 2, t0 + 3600, "", "");
        sessions.create("b1", bob, t0, t0 + 3600, "", "");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sessions.revokeForUser(alice, "a1"));
        CPPUNIT_ASSERT(jtis(sessions.listForUser(alice, t0 + 10))
                       == std::vector<std::string>({"a1"}));
        CPPUNIT_ASSERT(jtis(sessions.listForUser(bob, t0 + 10))
                       == std::vector<std::string>({"b1"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sessions.revokeForUser(alice));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), sessions.revokeForUser(alice));
        CPPUNIT_ASSERT(sessions.listForUser(alice, t0 + 10).empty());
        CPPUNIT_ASSERT(!sessions.find("b1")->revoked);
    }

    void checkList(Database& db)
    {
        const std::string alice = user(db, "alice");
        SessionStore sessions(db);
        sessions.create("old", alice, t0, t0 + 100, "", "");
        sessions.create("forever", alice, t0 + 1, 0, "", "");
        sessions.create("newest", alice, t0 + 2, t0 + 3600, "", "");
        sessions.create("revoked", alice, t0 + 3, t0 + 3600, "", "");
        sessions.revoke("revoked");
        CPPUNIT_ASSERT(jtis(sessions.listForUser(alice, t0 + 50))
                       == std::vector<std::string>({"newest", "forever", "old"}));
        CPPUNIT_ASSERT(jtis(sessions.listForUser(alice, t0 + 100))
                       == std::vector<std::string>({"newest", "forever"}));
        CPPUNIT_ASSERT(sessions.listForUser("ffffffffffffffff", t0).empty());
    }

    void checkRevokeIdle(Database& db)
    {
        const std::string alice = user(db, "alice");
        SessionStore sessions(db);
        sessions.create("idle", alice, t0, t0 + 86400, "", "");
        sessions.create("busy", alice, t0, t0 + 86400, "", "");
        sessions.touch("busy", t0 + 100);
        // Idle limit 300 s at t0 + 350: "idle" was last used 350 s ago, "busy" 250 s ago.
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sessions.revokeIdle(300, t0 + 350));
        CPPUNIT_ASSERT(sessions.find("idle")->revoked);
        CPPUNIT_ASSERT(!sessions.find("busy")->revoked);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), sessions.revokeIdle(300, t0 + 350));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sessions.revokeIdle(300, t0 + 401));
        CPPUNIT_ASSERT(sessions.find("busy")->revoked);
    }

    void checkPurge(Database& db)
    {
        const std::string alice = user(db, "alice");
        SessionStore sessions(db);
        const std::int64_t day = 86400;
        sessions.create("long-expired", alice, t0, t0 + 100, "", "");
        sessions.create("just-expired", alice, t0, t0 + day, "", "");
        sessions.create("revoked-old", alice, t0, 0, "", "");
        sessions.create("forever", alice, t0, 0, "", "");
        sessions.revoke("revoked-old");
        const std::int64_t now = t0 + day + 200;
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sessions.purgeExpired(now));
        CPPUNIT_ASSERT(!sessions.find("long-expired"));
        CPPUNIT_ASSERT(!sessions.find("revoked-old"));
        CPPUNIT_ASSERT(sessions.find("just-expired"));
        CPPUNIT_ASSERT(sessions.find("forever"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), sessions.purgeExpired(now));
    }

    void checkSwarmSessionsDie(Database& db)
    {
        const std::string alice = user(db, "alice");
        SessionStore sessions(db);
        SwarmSessionStore swarm(db);
        for (const char* jti : {"s1", "s2", "s3", "s4"}) {
            sessions.create(jti, alice, t0, t0 + 100, "", "");
            swarm.create(sha256(jti), alice, "session", jti, t0);
        }
        sessions.revoke("s1");
        CPPUNIT_ASSERT(!swarm.find(sha256("s1")));
        CPPUNIT_ASSERT(swarm.find(sha256("s2")));
        sessions.revokeForUser(alice, "s3");
        CPPUNIT_ASSERT(!swarm.find(sha256("s2")));
        CPPUNIT_ASSERT(!swarm.find(sha256("s4")));
        CPPUNIT_ASSERT(swarm.find(sha256("s3")));
        sessions.revokeIdle(10, t0 + 60);
        CPPUNIT_ASSERT(!swarm.find(sha256("s3")));

        sessions.create("s5", alice, t0, t0 + 100, "", "");
        swarm.create(sha256("s5"), alice, "session", "s5", t0);
        sessions.purgeExpired(t0 + 100 + 86401);
        CPPUNIT_ASSERT(!sessions.find("s5"));
        CPPUNIT_ASSERT(!swarm.find(sha256("s5")));
    }

};

CPPUNIT_TEST_SUITE_REGISTRATION(SessionStoreTest);
