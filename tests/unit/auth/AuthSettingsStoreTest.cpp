#include "AuthStoreTesting.h"
#include "AuthSettingsStore.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <iostream>
#include <memory>
#include <stdexcept>

using comfygate::Database;
using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;
using comfygate::auth::AuthSettingsStore;

using comfygate::test::openDatabase;
using comfygate::test::sqliteSettings;
using comfygate::test::throws;

namespace {

constexpr std::int64_t t0 = 1700000000;

} // namespace

class AuthSettingsStoreTest : public comfygate::test::SqliteStoreFixture
{
    CPPUNIT_TEST_SUITE(AuthSettingsStoreTest);
    CPPUNIT_TEST(testGetSetRemove);
    CPPUNIT_TEST(testRefusals);
    CPPUNIT_TEST(testSurvivesRestart);
    CPPUNIT_TEST(testPostgres);
    CPPUNIT_TEST_SUITE_END();

public:

    void testGetSetRemove() { checkGetSet(*_db); }
    void testRefusals() { checkRefusals(*_db); }

    void testSurvivesRestart()
    {
        AuthSettingsStore(*_db).set("allow_guest_jwt", "true", t0);
        _db->close();
        _db = openDatabase(sqliteSettings(*_dir));
        CPPUNIT_ASSERT_EQUAL(std::string("true"),
                             AuthSettingsStore(*_db).get("allow_guest_jwt").value_or(""));
    }

    void testPostgres()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: AuthSettingsStoreTest::testPostgres: PostgreSQL binaries not "
                         "found\n";
            return;
        }
        comfygate::test::PostgresCluster cluster;
        int n = 0;
        for (auto check :
             {&AuthSettingsStoreTest::checkGetSet, &AuthSettingsStoreTest::checkRefusals}) {
            const std::string name = "settings" + std::to_string(++n);
            cluster.createDatabase(name);
            DatabaseSettings settings;
            settings.backend = Database::Backend::PostgreSQL;
            settings.postgresConnection = cluster.connectionString(name);
            std::unique_ptr<PooledDatabase> db = openDatabase(settings);
            (this->*check)(*db);
        }
    }

private:
    void checkGetSet(Database& db)
    {
        AuthSettingsStore settings(db);
        CPPUNIT_ASSERT(!settings.get("allow_guest_jwt"));
        CPPUNIT_ASSERT(settings.all().empty());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), settings.updatedAt("allow_guest_jwt"));
        settings.set("allow_guest_jwt", "false", t0);
        settings.set("groups",
                     R"({"admin":{"can_run":true},"user":{"label":"Utilisateur \u00e9"}})", t0 + 1);
        CPPUNIT_ASSERT_EQUAL(std::string("false"), settings.get("allow_guest_jwt").value_or(""));
        CPPUNIT_ASSERT_EQUAL(t0, settings.updatedAt("allow_guest_jwt"));
        settings.set("allow_guest_jwt", "true", t0 + 5);
        CPPUNIT_ASSERT_EQUAL(std::string("true"), settings.get("allow_guest_jwt").value_or(""));
        CPPUNIT_ASSERT_EQUAL(t0 + 5, settings.updatedAt("allow_guest_jwt"));
        settings.set("empty.value", "", t0);
        CPPUNIT_ASSERT(settings.get("empty.value").has_value());
        CPPUNIT_ASSERT_EQUAL(std::string(), *settings.get("empty.value"));

        const std::map<std::string, std::string> all = settings.all();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), all.size());
        CPPUNIT_ASSERT_EQUAL(std::string("true"), all.at("allow_guest_jwt"));
        CPPUNIT_ASSERT(all.at("groups").find("can_run") != std::string::npos);

        CPPUNIT_ASSERT(settings.remove("empty.value"));
        CPPUNIT_ASSERT(!settings.remove("empty.value"));
        CPPUNIT_ASSERT(!settings.get("empty.value"));
    }

    void checkRefusals(Database& db)
    {
        AuthSettingsStore settings(db);
        for (const std::string& bad : std::vector<std::string>{
                 "", "Allow_Guest", "a b", std::string(101, 'k'), "x;y", "name\n"}) {
            CPPUNIT_ASSERT_MESSAGE(bad, throws<std::invalid_argument>(
                                            [&] { settings.set(bad, "v", t0); }));
        }
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { settings.set("groups", "bad \xff utf-8", t0); }));
        CPPUNIT_ASSERT(!settings.get("groups"));
        settings.set(std::string(100, 'k'), "v", t0);
        CPPUNIT_ASSERT(settings.get(std::string(100, 'k')));
    }

};

CPPUNIT_TEST_SUITE_REGISTRATION(AuthSettingsStoreTest);
