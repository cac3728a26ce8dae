#include "AuthStoreTesting.h"
#include "IpListStore.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <arpa/inet.h>

#include <iostream>
#include <memory>
#include <stdexcept>

using comfygate::Database;
using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;
using comfygate::auth::BlacklistEntry;
using comfygate::auth::IpListStore;

using comfygate::test::openDatabase;
using comfygate::test::sqliteSettings;

namespace {

constexpr std::int64_t t0 = 1700000000;

// The std::invalid_argument message of `action`; "" when it throws nothing.
template <class F>
std::string refusal(F action)
{
    try {
        action();
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "";
}

Poco::Net::IPAddress ip(const std::string& text)
{
    return Poco::Net::IPAddress(text);
}

} // namespace

class IpListStoreTest : public comfygate::test::SqliteStoreFixture
{
    CPPUNIT_TEST_SUITE(IpListStoreTest);
    CPPUNIT_TEST(testReplaceAndRead);
    CPPUNIT_TEST(testInvalidEntriesRefusedAndNothingChanged);
    CPPUNIT_TEST(testCidrMatching);
    CPPUNIT_TEST(testWhitelistWins);
    CPPUNIT_TEST(testExpiry);
    CPPUNIT_TEST(testAddToBlacklist);
    CPPUNIT_TEST(testOtherInstancesSeeChangesWithinRefreshTime);
    CPPUNIT_TEST(testSurvivesRestart);
    CPPUNIT_TEST(testPostgres);
    CPPUNIT_TEST_SUITE_END();

public:

    void testReplaceAndRead() { checkReplace(*_db); }
    void testInvalidEntriesRefusedAndNothingChanged() { checkInvalid(*_db); }
    void testCidrMatching() { checkCidr(*_db); }
    void testWhitelistWins() { checkWhitelistWins(*_db); }
    void testExpiry() { checkExpiry(*_db); }
    void testAddToBlacklist() { checkAdd(*_db); }
    void testOtherInstancesSeeChangesWithinRefreshTime() { checkRefresh(*_db); }

    void testSurvivesRestart()
    {
        IpListStore(*_db).replace({"10.0.0.0/8"}, {{"192.0.2.1", true, 0, "abuse"}}, t0);
        _db->close();
        _db = openDatabase(sqliteSettings(*_dir));
        IpListStore lists(*_db);
        CPPUNIT_ASSERT(lists.whitelist() == std::vector<std::string>({"10.0.0.0/8"}));
        CPPUNIT_ASSERT(lists.isBlacklisted("192.0.2.1", t0 + 1));
        CPPUNIT_ASSERT_EQUAL(std::string("abuse"), lists.blacklist(t0)[0].reason);
    }

    void testPostgres()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: IpListStoreTest::testPostgres: PostgreSQL binaries not "
                         "found\n";
            return;
        }
        comfygate::test::PostgresCluster cluster;
        int n = 0;
        for (auto check : {&IpListStoreTest::checkReplace, &IpListStoreTest::checkInvalid,
                           &IpListStoreTest::checkCidr, &IpListStoreTest::checkWhitelistWins,
                           &IpListStoreTest::checkExpiry, &IpListStoreTest::checkAdd,
                           &IpListStoreTest::checkRefresh}) {
            const std::string name = "iplists" + std::to_string(++n);
            cluster.createDatabase(name);
            DatabaseSettings settings;
            settings.backend = Database::Backend::PostgreSQL;
            settings.postgresConnection = cluster.connectionString(name);
            std::unique_ptr<PooledDatabase> db = openDatabase(settings);
            (this->*check)(*db);
        }
    }

private:
    void checkReplace(Database& db)
    {
        IpListStore lists(db);
        CPPUNIT_ASSERT(lists.whitelist().empty());
        CPPUNIT_ASSERT(lists.blacklist(t0).empty());
        CPPUNIT_ASSERT(!lists.hasWhitelist(t0));
        lists.replace({"10.0.0.0/8", " ::1 ", "10.0.0.0/8"},
                      {{"203.0.113.7", true, 0, "spam"},
                       {"198.51.100.0/24", false, t0 + 3600, "scan"},
                       {"2001:db8::/32", false, t0 + 60, ""}},
                      t0);
        CPPUNIT_ASSERT(lists.whitelist() == std::vector<std::string>({"10.0.0.0/8", "::1"}));
        CPPUNIT_ASSERT(lists.hasWhitelist(t0));
        std::vector<BlacklistEntry> black = lists.blacklist(t0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), black.size());
        CPPUNIT_ASSERT_EQUAL(std::string("198.51.100.0/24"), black[0].ip);
        CPPUNIT_ASSERT(!black[0].permanent);
        CPPUNIT_ASSERT_EQUAL(t0 + 3600, black[0].expiresAt);
        CPPUNIT_ASSERT_EQUAL(std::string("scan"), black[0].reason);
        CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::/32"), black[1].ip);
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7"), black[2].ip);
        CPPUNIT_ASSERT(black[2].permanent);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), black[2].expiresAt);
        // Expired entries are not listed.
        black = lists.blacklist(t0 + 60);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), black.size());

        lists.replace({}, {}, t0);
        CPPUNIT_ASSERT(lists.whitelist().empty());
        CPPUNIT_ASSERT(lists.blacklist(t0).empty());
        CPPUNIT_ASSERT(!lists.isBlacklisted("203.0.113.7", t0));
        CPPUNIT_ASSERT(!lists.hasWhitelist(t0));
    }

    void checkInvalid(Database& db)
    {
        IpListStore lists(db);
        lists.replace({"127.0.0.1"}, {{"192.0.2.1", true, 0, ""}}, t0);
        for (const std::string bad :
             {"10.0.0.300", "10.0.0.0/33", "not-an-ip", "", "::1/129", "10.0.0.1/", "10.0.0.1/-1",
              "10.0.0.1/+8", "fe80::/abc", "10.0.0.1/8/8", "10.0.0.1 10.0.0.2",
              "example.com", "010.0.0.1", "10.1", "0x0a000001", "fe80::1%eth0", "1.2.3.4/ 8"}) {
            const std::string white = refusal([&] { lists.replace({"10.0.0.1", bad}, {}, t0); });
            CPPUNIT_ASSERT_MESSAGE(bad, white.find("whitelist entry '" + bad + "'")
                                            != std::string::npos);
            const std::string black = refusal(
                [&] { lists.replace({}, {{"10.0.0.1", true, 0, ""}, {bad, true, 0, ""}}, t0); });
            CPPUNIT_ASSERT_MESSAGE(bad, black.find("blacklist entry '" + bad + "'")
                                            != std::string::npos);
            CPPUNIT_ASSERT(!refusal([&] { lists.addToBlacklist(bad, 0, ""); }).empty());
        }
        CPPUNIT_ASSERT(!refusal([&] {
                            lists.replace({}, {{"10.0.0.1", false, t0, "already over"}}, t0);
                        }).empty());
        CPPUNIT_ASSERT(!refusal([&] {
                            lists.replace({}, {{"10.0.0.1", true, 0, "bad \xc3 utf-8"}}, t0);
                        }).empty());
        CPPUNIT_ASSERT(!refusal([&] {
                            lists.replace({}, {{"10.0.0.1", true, 0, std::string(501, 'r')}}, t0);
                        }).empty());
        // Nothing was changed by the refused calls.
        CPPUNIT_ASSERT(lists.whitelist() == std::vector<std::string>({"127.0.0.1"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), lists.blacklist(t0).size());
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), lists.blacklist(t0)[0].ip);
    }

    void checkCidr(Database& db)
    {
        IpListStore lists(db);
        lists.replace({},
                      {{"192.0.2.0/24", true, 0, ""},
                       {"2001:db8::/32", true, 0, ""},
                       {"203.0.113.7", true, 0, ""},
                       {"::ffff:10.0.0.0/104", true, 0, ""},
                       {"172.16.5.9/12", true, 0, ""}},
                      t0);
        const std::pair<const char*, bool> cases[] = {
            {"192.0.2.0", true},         {"192.0.2.255", true},       {"192.0.3.1", false},
            {"::ffff:192.0.2.5", true},  {"2001:db8::1", true},       {"2001:db8:ffff::9", true},
            {"2001:db9::1", false},      {"203.0.113.7", true},       {"203.0.113.8", false},
            {"::ffff:203.0.113.7", true}, {"10.200.1.1", true},       {"11.0.0.1", false},
            {"172.31.255.255", true},    {"172.32.0.1", false},       {"::1", false},
            {"::c000:201", false},       {"garbage", false},          {"", false}};
        for (const auto& [address, expected] : cases)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(address, expected, lists.isBlacklisted(address, t0));
        CPPUNIT_ASSERT(lists.isBlacklisted(ip("::ffff:192.0.2.9"), t0));
        // A link-local peer carries a scope id; matching must not trip over it.
        lists.addToBlacklist("fe80::/10", 0, "");
        in6_addr linkLocal{}, uniqueLocal{};
        inet_pton(AF_INET6, "fe80::1", &linkLocal);
        inet_pton(AF_INET6, "fc00::1", &uniqueLocal);
        CPPUNIT_ASSERT(lists.isBlacklisted(Poco::Net::IPAddress(&linkLocal, 16, 2), t0));
        CPPUNIT_ASSERT(!lists.isBlacklisted(Poco::Net::IPAddress(&uniqueLocal, 16, 2), t0));
    }

    void checkWhitelistWins(Database& db)
    {
        IpListStore lists(db);
        lists.replace({"10.1.0.0/16", "::1"}, {{"10.0.0.0/8", true, 0, ""}, {"::/0", true, 0, ""}},
                      t0);
        CPPUNIT_ASSERT(!lists.isBlacklisted("10.1.2.3", t0));
        CPPUNIT_ASSERT(!lists.isBlacklisted("::ffff:10.1.2.3", t0));
        CPPUNIT_ASSERT(lists.isBlacklisted("10.2.0.1", t0));
        CPPUNIT_ASSERT(!lists.isBlacklisted("::1", t0));
        CPPUNIT_ASSERT(lists.isBlacklisted("::2", t0));
        CPPUNIT_ASSERT(lists.isWhitelisted(ip("10.1.255.255"), t0));
        CPPUNIT_ASSERT(!lists.isWhitelisted(ip("10.2.0.0"), t0));
    }

    void checkExpiry(Database& db)
    {
        IpListStore lists(db);
        lists.addToBlacklist("198.51.100.23", t0 + 100, "auto: 10 failed logins");
        CPPUNIT_ASSERT(lists.isBlacklisted("198.51.100.23", t0 + 99));
        CPPUNIT_ASSERT(!lists.isBlacklisted("198.51.100.23", t0 + 100));
        CPPUNIT_ASSERT(lists.blacklist(t0 + 100).empty());
        lists.addToBlacklist("198.51.100.24", 0, "manual");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), lists.purgeExpired(t0 + 100));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), lists.purgeExpired(t0 + 100));
        CPPUNIT_ASSERT(lists.isBlacklisted("198.51.100.24", t0 + 1000000));
    }

    void checkAdd(Database& db)
    {
        IpListStore lists(db);
        lists.addToBlacklist("192.0.2.1", t0 + 100, "first");
        lists.addToBlacklist("192.0.2.1", t0 + 500, "second");
        CPPUNIT_ASSERT_EQUAL(t0 + 500, lists.blacklist(t0)[0].expiresAt);
        CPPUNIT_ASSERT_EQUAL(std::string("second"), lists.blacklist(t0)[0].reason);
        lists.addToBlacklist("192.0.2.1", t0 + 200, "third"); // a shorter ban keeps the longer
        CPPUNIT_ASSERT_EQUAL(t0 + 500, lists.blacklist(t0)[0].expiresAt);
        lists.addToBlacklist("192.0.2.1", 0, "permanent");
        CPPUNIT_ASSERT(lists.blacklist(t0)[0].permanent);
        lists.addToBlacklist("192.0.2.1", t0 + 50, "auto"); // stays permanent
        CPPUNIT_ASSERT(lists.blacklist(t0)[0].permanent);
        CPPUNIT_ASSERT(lists.isBlacklisted("192.0.2.1", t0 + 100000));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), lists.blacklist(t0).size());

        CPPUNIT_ASSERT(lists.removeFromBlacklist("192.0.2.1"));
        CPPUNIT_ASSERT(!lists.removeFromBlacklist("192.0.2.1"));
        CPPUNIT_ASSERT(!lists.isBlacklisted("192.0.2.1", t0));
    }

    void checkRefresh(Database& db)
    {
        IpListStore mine(db);
        IpListStore other(db); // another instance on the same database
        CPPUNIT_ASSERT(!mine.isBlacklisted("192.0.2.1", t0));
        other.addToBlacklist("192.0.2.1", 0, "");
        CPPUNIT_ASSERT(other.isBlacklisted("192.0.2.1", t0)); // its own write: at once
        CPPUNIT_ASSERT(!mine.isBlacklisted("192.0.2.1", t0 + IpListStore::defaultRefreshSeconds - 1));
        CPPUNIT_ASSERT(mine.isBlacklisted("192.0.2.1", t0 + IpListStore::defaultRefreshSeconds));
        other.replace({"192.0.2.1"}, {{"192.0.2.1", true, 0, ""}}, t0);
        CPPUNIT_ASSERT(!other.isBlacklisted("192.0.2.1", t0 + 5));
        CPPUNIT_ASSERT(mine.isBlacklisted("192.0.2.1", t0 + 9));
        CPPUNIT_ASSERT(!mine.isBlacklisted("192.0.2.1", t0 + 10));
    }

};

CPPUNIT_TEST_SUITE_REGISTRATION(IpListStoreTest);
