#include "AuthStoreTesting.h"
#include "LoginThrottle.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <iostream>
#include <memory>
#include <stdexcept>
#include <thread>

using comfygate::Database;
using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;
using comfygate::auth::LoginThrottle;

using comfygate::test::openDatabase;
using comfygate::test::sqliteSettings;
using comfygate::test::throws;

namespace {

constexpr std::int64_t t0 = 1700000000;

std::int64_t lockOf(LoginThrottle& throttle, const std::string& ip, const std::string& name,
                    std::int64_t now)
{
    return throttle.lockedFor(ip, name, now).value_or(0);
}

} // namespace

class LoginThrottleTest : public comfygate::test::SqliteStoreFixture
{
    CPPUNIT_TEST_SUITE(LoginThrottleTest);
    CPPUNIT_TEST(testLocksEscalate);
    CPPUNIT_TEST(testIpAndAccountCountSeparately);
    CPPUNIT_TEST(testCounterStartsOverAfterResetTime);
    CPPUNIT_TEST(testSuccessClearsBothKeys);
    CPPUNIT_TEST(testLongerLockIsKept);
    CPPUNIT_TEST(testBlacklistThreshold);
    CPPUNIT_TEST(testAnyUsernameMakesAKey);
    CPPUNIT_TEST(testConcurrentFailuresAllCounted);
    CPPUNIT_TEST(testUnlockAndPurge);
    CPPUNIT_TEST(testSettingsValidated);
    CPPUNIT_TEST(testLockSurvivesRestart);
    CPPUNIT_TEST(testPostgres);
    CPPUNIT_TEST_SUITE_END();

public:

    void testLocksEscalate() { checkEscalation(*_db); }
    void testIpAndAccountCountSeparately() { checkKeys(*_db); }
    void testCounterStartsOverAfterResetTime() { checkReset(*_db); }
    void testSuccessClearsBothKeys() { checkSuccess(*_db); }
    void testLongerLockIsKept() { checkLongerLockKept(*_db); }
    void testBlacklistThreshold() { checkBlacklist(*_db); }
    void testAnyUsernameMakesAKey() { checkJunkNames(*_db); }
    void testConcurrentFailuresAllCounted() { checkConcurrentFailures(*_db); }
    void testUnlockAndPurge() { checkUnlockAndPurge(*_db); }

    void testSettingsValidated()
    {
        using Settings = LoginThrottle::Settings;
        Settings unordered;
        unordered.steps = {{6, 90}, {3, 60}};
        CPPUNIT_ASSERT(throws<std::invalid_argument>([&] { LoginThrottle(*_db, unordered); }));
        Settings zero;
        zero.steps = {{0, 60}};
        CPPUNIT_ASSERT(throws<std::invalid_argument>([&] { LoginThrottle(*_db, zero); }));
        Settings negative;
        negative.steps = {{3, -1}};
        CPPUNIT_ASSERT(throws<std::invalid_argument>([&] { LoginThrottle(*_db, negative); }));
        Settings noReset;
        noReset.resetAfterSeconds = 0;
        CPPUNIT_ASSERT(throws<std::invalid_argument>([&] { LoginThrottle(*_db, noReset); }));
        Settings none;
        none.steps.clear();
        LoginThrottle never(*_db, none);
        for (int i = 0; i < 20; ++i)
            never.recordFailure("10.0.0.1", "bob", t0);
        CPPUNIT_ASSERT(!never.lockedFor("10.0.0.1", "bob", t0));
        CPPUNIT_ASSERT(never.shouldBlacklist("10.0.0.1"));
    }

    void testLockSurvivesRestart()
    {
        {
            LoginThrottle throttle(*_db);
            for (int i = 0; i < 6; ++i)
                throttle.recordFailure("203.0.113.9", "alice", t0);
        }
        _db->close();
        _db = openDatabase(sqliteSettings(*_dir));
        LoginThrottle throttle(*_db);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(80), lockOf(throttle, "203.0.113.9", "", t0 + 10));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(80), lockOf(throttle, "", "Alice", t0 + 10));
        CPPUNIT_ASSERT_EQUAL(6, throttle.failures(LoginThrottle::userKey("alice")));
        // The seventh failure continues the count: still the 6-failure step.
        throttle.recordFailure("203.0.113.9", "alice", t0 + 90);
        CPPUNIT_ASSERT_EQUAL(7, throttle.failures(LoginThrottle::ipKey("203.0.113.9")));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(90), lockOf(throttle, "203.0.113.9", "alice", t0 + 90));
    }

    void testPostgres()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: LoginThrottleTest::testPostgres: PostgreSQL binaries not "
                         "found\n";
            return;
        }
        comfygate::test::PostgresCluster cluster;
        int n = 0;
        for (auto check : {&LoginThrottleTest::checkEscalation, &LoginThrottleTest::checkKeys,
                           &LoginThrottleTest::checkReset, &LoginThrottleTest::checkSuccess,
                           &LoginThrottleTest::checkLongerLockKept,
                           &LoginThrottleTest::checkBlacklist, &LoginThrottleTest::checkJunkNames,
                           &LoginThrottleTest::checkConcurrentFailures,
                           &LoginThrottleTest::checkUnlockAndPurge}) {
            const std::string name = "throttle" + std::to_string(++n);
            cluster.createDatabase(name);
            DatabaseSettings settings;
            settings.backend = Database::Backend::PostgreSQL;
            settings.postgresConnection = cluster.connectionString(name);
            settings.maxSessions = 6;
            std::unique_ptr<PooledDatabase> db = openDatabase(settings);
            (this->*check)(*db);
        }
    }

private:
    void checkEscalation(Database& db)
    {
        LoginThrottle throttle(db);
        const std::string ip = "198.51.100.4";
        throttle.recordFailure(ip, "alice", t0);
        throttle.recordFailure(ip, "alice", t0 + 1);
        CPPUNIT_ASSERT(!throttle.lockedFor(ip, "alice", t0 + 2));
        throttle.recordFailure(ip, "alice", t0 + 2);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(60), lockOf(throttle, ip, "alice", t0 + 2));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), lockOf(throttle, ip, "alice", t0 + 61));
        CPPUNIT_ASSERT(!throttle.lockedFor(ip, "alice", t0 + 62));

        // Between steps each failure locks again for the last step reached.
        throttle.recordFailure(ip, "alice", t0 + 100);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(60), lockOf(throttle, ip, "alice", t0 + 100));
        throttle.recordFailure(ip, "alice", t0 + 200);
        throttle.recordFailure(ip, "alice", t0 + 300);
        CPPUNIT_ASSERT_EQUAL(6, throttle.failures(LoginThrottle::ipKey(ip)));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(90), lockOf(throttle, ip, "alice", t0 + 300));
        throttle.recordFailure(ip, "alice", t0 + 400);
        throttle.recordFailure(ip, "alice", t0 + 500);
        throttle.recordFailure(ip, "alice", t0 + 600);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(300), lockOf(throttle, ip, "alice", t0 + 600));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(200), lockOf(throttle, ip, "alice", t0 + 700));
        CPPUNIT_ASSERT_EQUAL(9, throttle.failures(LoginThrottle::userKey("alice")));
    }

    void checkKeys(Database& db)
    {
        LoginThrottle throttle(db);
        for (int i = 0; i < 3; ++i)
            throttle.recordFailure("10.0.0.1", "Alice", t0);
        // The address is locked whatever name it tries; the account from any address.
        CPPUNIT_ASSERT_EQUAL(std::int64_t(60), lockOf(throttle, "10.0.0.1", "carol", t0));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(60), lockOf(throttle, "10.0.0.2", "alice", t0));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(60), lockOf(throttle, "10.0.0.2", "ALICE", t0));
        CPPUNIT_ASSERT(!throttle.lockedFor("10.0.0.2", "carol", t0));
        CPPUNIT_ASSERT(!throttle.lockedFor("", "", t0));

        // One address spreading failures over accounts is still counted as one address.
        for (int i = 0; i < 3; ++i)
            throttle.recordFailure("10.0.0.3", "user" + std::to_string(i), t0);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(60), lockOf(throttle, "10.0.0.3", "", t0));
        CPPUNIT_ASSERT(!throttle.lockedFor("10.0.0.9", "user1", t0));
        // An empty side is simply not counted.
        throttle.recordFailure("", "dave", t0);
        CPPUNIT_ASSERT_EQUAL(1, throttle.failures(LoginThrottle::userKey("dave")));
        CPPUNIT_ASSERT_EQUAL(0, throttle.failures(LoginThrottle::ipKey("")));
    }

    void checkReset(Database& db)
    {
        LoginThrottle throttle(db);
        const int reset = throttle.settings().resetAfterSeconds;
        throttle.recordFailure("10.0.0.1", "bob", t0);
        throttle.recordFailure("10.0.0.1", "bob", t0 + 10);
        throttle.recordFailure("10.0.0.1", "bob", t0 + 10 + reset); // exactly at the limit
        CPPUNIT_ASSERT_EQUAL(3, throttle.failures(LoginThrottle::userKey("bob")));
        throttle.recordFailure("10.0.0.1", "bob", t0 + 10 + 2 * reset + 1);
        CPPUNIT_ASSERT_EQUAL(1, throttle.failures(LoginThrottle::userKey("bob")));
        CPPUNIT_ASSERT_EQUAL(1, throttle.failures(LoginThrottle::ipKey("10.0.0.1")));
        CPPUNIT_ASSERT(!throttle.lockedFor("10.0.0.1", "bob", t0 + 10 + 2 * reset + 1));
    }

    void checkSuccess(Database& db)
    {
        LoginThrottle throttle(db);
        for (int i = 0; i < 4; ++i)
            throttle.recordFailure("10.0.0.1", "bob", t0);
        throttle.recordFailure("10.0.0.7", "eve", t0);
        CPPUNIT_ASSERT(throttle.lockedFor("10.0.0.1", "bob", t0));
        throttle.recordSuccess("10.0.0.1", "BOB");
        CPPUNIT_ASSERT(!throttle.lockedFor("10.0.0.1", "bob", t0));
        CPPUNIT_ASSERT_EQUAL(0, throttle.failures(LoginThrottle::userKey("bob")));
        CPPUNIT_ASSERT_EQUAL(0, throttle.failures(LoginThrottle::ipKey("10.0.0.1")));
        CPPUNIT_ASSERT_EQUAL(1, throttle.failures(LoginThrottle::userKey("eve")));
    }

    void checkLongerLockKept(Database& db)
    {
        LoginThrottle::Settings settings;
        settings.steps = {{2, 600}, {3, 60}};
        LoginThrottle throttle(db, settings);
        throttle.recordFailure("10.0.0.1", "bob", t0);
        throttle.recordFailure("10.0.0.1", "bob", t0);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(600), lockOf(throttle, "10.0.0.1", "bob", t0));
        throttle.recordFailure("10.0.0.1", "bob", t0 + 10);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(590), lockOf(throttle, "10.0.0.1", "bob", t0 + 10));
    }

    void checkBlacklist(Database& db)
    {
        LoginThrottle throttle(db);
        CPPUNIT_ASSERT_EQUAL(10, throttle.settings().blacklistAfter);
        for (int i = 0; i < 9; ++i)
            throttle.recordFailure("192.0.2.66", "name" + std::to_string(i), t0 + i);
        CPPUNIT_ASSERT(!throttle.shouldBlacklist("192.0.2.66"));
        throttle.recordFailure("192.0.2.66", "name9", t0 + 9);
        CPPUNIT_ASSERT(throttle.shouldBlacklist("192.0.2.66"));
        CPPUNIT_ASSERT(!throttle.shouldBlacklist("192.0.2.67"));
        CPPUNIT_ASSERT(!throttle.shouldBlacklist(""));
    }

    void checkJunkNames(Database& db)
    {
        LoginThrottle throttle(db);
        const std::string junk = "\xff\xfe\x80 '; DROP TABLE users; --" + std::string(5000, 'x');
        for (int i = 0; i < 3; ++i)
            throttle.recordFailure("::1", junk, t0);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(60), lockOf(throttle, "", junk, t0));
        const std::string key = LoginThrottle::userKey(junk);
        CPPUNIT_ASSERT(key.size() <= 5 + 3 * 64);
        for (char c : key)
            CPPUNIT_ASSERT(c > 0x20 && c < 0x7f);
        CPPUNIT_ASSERT_EQUAL(3, throttle.failures(key));
        CPPUNIT_ASSERT_EQUAL(std::string("user:alice_01"), LoginThrottle::userKey("Alice_01"));
    }

    void checkConcurrentFailures(Database& db)
    {
        LoginThrottle throttle(db);
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i) {
            threads.emplace_back([&] {
                for (int j = 0; j < 5; ++j)
                    throttle.recordFailure("10.9.9.9", "target", t0);
            });
        }
        for (std::thread& thread : threads)
            thread.join();
        CPPUNIT_ASSERT_EQUAL(20, throttle.failures(LoginThrottle::ipKey("10.9.9.9")));
        CPPUNIT_ASSERT_EQUAL(20, throttle.failures(LoginThrottle::userKey("target")));
    }

    void checkUnlockAndPurge(Database& db)
    {
        LoginThrottle throttle(db);
        for (int i = 0; i < 3; ++i)
            throttle.recordFailure("10.0.0.1", "bob", t0);
        CPPUNIT_ASSERT(throttle.unlock(LoginThrottle::userKey("bob")));
        CPPUNIT_ASSERT(!throttle.unlock(LoginThrottle::userKey("bob")));
        CPPUNIT_ASSERT(!throttle.lockedFor("", "bob", t0));
        CPPUNIT_ASSERT(throttle.lockedFor("10.0.0.1", "", t0)); // the address stays locked

        throttle.recordFailure("10.0.0.2", "", t0 + 1000);
        const std::int64_t later = t0 + throttle.settings().resetAfterSeconds + 500;
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), throttle.purgeStale(later));
        CPPUNIT_ASSERT_EQUAL(0, throttle.failures(LoginThrottle::ipKey("10.0.0.1")));
        CPPUNIT_ASSERT_EQUAL(1, throttle.failures(LoginThrottle::ipKey("10.0.0.2")));
    }

};

CPPUNIT_TEST_SUITE_REGISTRATION(LoginThrottleTest);
