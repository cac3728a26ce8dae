#include "AuthStoreTesting.h"
#include "ApiTokenStore.h"
#include "MfaStore.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "SealedSecrets.h"
#include "SessionStore.h"
#include "SwarmSessionStore.h"
#include "TempDir.h"
#include "UserSecretStore.h"
#include "UserStore.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/Session.h>
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>

using namespace Poco::Data::Keywords;
using comfygate::Database;
using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;
using comfygate::auth::User;
using comfygate::auth::UserError;
using comfygate::auth::UserStore;

using comfygate::test::openDatabase;
using comfygate::test::sqliteSettings;
using comfygate::test::sha256;

namespace {

constexpr std::int64_t t0 = 1700000000;

// The UserError code `action` throws; "none" when it throws nothing.
std::string codeOf(const std::function<void()>& action)
{
    try {
        action();
    } catch (const UserError& error) {
        return error.code();
    }
    return "none";
}

Poco::Int64 rowsFor(Database& db, const std::string& table, const std::string& userId)
{
    Poco::Int64 n = -1;
    Poco::Data::Session session = db.session();
    session << db.translate("SELECT COUNT(*) FROM " + table + " WHERE user_id = ?"), into(n),
        bind(userId), now;
    return n;
}

const char* const userTables[] = {"session_tokens",   "api_tokens",   "mfa_totp",
                                  "mfa_backup_codes", "mfa_temp_tokens", "swarm_sessions",
                                  "user_secrets"};

// Gives the user a row in every table that belongs to a user.
void giveEverything(Database& db, comfygate::Secrets& secrets, const std::string& userId,
                    const std::string& tag)
{
    comfygate::auth::SessionStore sessions(db);
    comfygate::auth::ApiTokenStore tokens(db);
    comfygate::auth::MfaStore mfa(db, secrets);
    comfygate::auth::SwarmSessionStore swarm(db);
    comfygate::auth::UserSecretStore userSecrets(db, secrets);
    sessions.create("jti-" + tag, userId, t0, t0 + 3600, "127.0.0.1", "test");
    tokens.create(sha256("token-" + tag), userId, "label", t0, 0);
    mfa.setPendingSecret(userId, "JBSWY3DPEHPK3PXP");
    mfa.replaceBackupCodes(userId, {sha256("code-" + tag)});
    mfa.createTempToken(sha256("temp-" + tag), userId, "login", t0 + 300, "{}");
    swarm.create(sha256("swarm-" + tag), userId, "session", "jti-" + tag, t0);
    userSecrets.set(userId, "civitai", "key-" + tag);
}

} // namespace

class UserStoreTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(UserStoreTest);
    CPPUNIT_TEST(testCreateAndFindIgnoringCase);
    CPPUNIT_TEST(testUsernameRules);
    CPPUNIT_TEST(testDuplicateNameRefused);
    CPPUNIT_TEST(testRolesAndGroupsValidated);
    CPPUNIT_TEST(testSingleOwner);
    CPPUNIT_TEST(testDatabaseRefusesSecondOwner);
    CPPUNIT_TEST(testBuiltinGuest);
    CPPUNIT_TEST(testUpdate);
    CPPUNIT_TEST(testSetters);
    CPPUNIT_TEST(testRemoveCascades);
    CPPUNIT_TEST(testForeignKeysCascadeOnDelete);
    CPPUNIT_TEST(testRemoveRefusals);
    CPPUNIT_TEST(testTransferOwnership);
    CPPUNIT_TEST(testConcurrentCreatesOfOneName);
    CPPUNIT_TEST(testConcurrentOwners);
    CPPUNIT_TEST(testSurvivesRestart);
    CPPUNIT_TEST(testPostgres);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = std::make_unique<comfygate::test::TempDir>();
        _db = openDatabase(sqliteSettings(*_dir));
        _secrets = std::make_unique<comfygate::SealedSecrets>(
            "0123456789abcdef0123456789abcdef-test-key", "");
    }

    void tearDown() override
    {
        _db.reset();
        _dir.reset();
    }

    void testCreateAndFindIgnoringCase() { checkCreateAndFind(*_db); }
    void testUsernameRules() { checkUsernameRules(*_db); }
    void testDuplicateNameRefused() { checkDuplicateName(*_db); }
    void testRolesAndGroupsValidated() { checkRolesAndGroups(*_db); }
    void testSingleOwner() { checkSingleOwner(*_db); }
    void testDatabaseRefusesSecondOwner() { checkDatabaseRefusesSecondOwner(*_db); }
    void testBuiltinGuest() { checkBuiltinGuest(*_db); }
    void testUpdate() { checkUpdate(*_db); }
    void testSetters() { checkSetters(*_db); }
    void testRemoveCascades() { checkRemoveCascades(*_db); }
    void testForeignKeysCascadeOnDelete() { checkForeignKeyCascade(*_db); }
    void testRemoveRefusals() { checkRemoveRefusals(*_db); }
    void testTransferOwnership() { checkTransferOwnership(*_db); }
    void testConcurrentCreatesOfOneName() { checkConcurrentCreates(*_db); }
    void testConcurrentOwners() { checkConcurrentOwners(*_db); }

    void testSurvivesRestart()
    {
        std::string id;
        {
            UserStore users(*_db);
            id = users.create("Alice", "owner", {"artists"}, "$argon2id$hash", t0).id;
            users.ensureGuest(t0);
            users.setMfaEnabled(id, true);
        }
        _db->close();
        _db = openDatabase(sqliteSettings(*_dir));
        UserStore users(*_db);
        const std::optional<User> alice = users.findByName("alice");
        CPPUNIT_ASSERT(alice);
        CPPUNIT_ASSERT_EQUAL(id, alice->id);
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), alice->role);
        CPPUNIT_ASSERT(alice->mfaEnabled);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), users.list().size());
        CPPUNIT_ASSERT_EQUAL(std::string("owner_exists"),
                             codeOf([&] { users.create("bob", "owner", {}, "", t0); }));
    }

    void testPostgres()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: UserStoreTest::testPostgres: PostgreSQL binaries not found\n";
            return;
        }
        comfygate::test::PostgresCluster cluster;
        int n = 0;
        const auto run = [&](void (UserStoreTest::*check)(Database&)) {
            const std::string name = "users" + std::to_string(++n);
            cluster.createDatabase(name);
            DatabaseSettings settings;
            settings.backend = Database::Backend::PostgreSQL;
            settings.postgresConnection = cluster.connectionString(name);
            settings.maxSessions = 6;
            std::unique_ptr<PooledDatabase> db = openDatabase(settings);
            (this->*check)(*db);
        };
        run(&UserStoreTest::checkCreateAndFind);
        run(&UserStoreTest::checkDuplicateName);
        run(&UserStoreTest::checkSingleOwner);
        run(&UserStoreTest::checkDatabaseRefusesSecondOwner);
        run(&UserStoreTest::checkBuiltinGuest);
        run(&UserStoreTest::checkUpdate);
        run(&UserStoreTest::checkSetters);
        run(&UserStoreTest::checkRemoveCascades);
        run(&UserStoreTest::checkForeignKeyCascade);
        run(&UserStoreTest::checkRemoveRefusals);
        run(&UserStoreTest::checkTransferOwnership);
        run(&UserStoreTest::checkConcurrentCreates);
        run(&UserStoreTest::checkConcurrentOwners);
    }

private:
    void checkCreateAndFind(Database& db)
    {
        UserStore users(db);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), users.countAccounts());
        const User created = users.create("Alice_01", "power", {"artists", "beta"},
                                          "$argon2id$v=19$m=19456,t=2,p=1$salt$hash", t0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), created.id.size());
        CPPUNIT_ASSERT(created.id.find_first_not_of("0123456789abcdef") == std::string::npos);

        for (const char* name : {"Alice_01", "alice_01", "ALICE_01"}) {
            const std::optional<User> found = users.findByName(name);
            CPPUNIT_ASSERT_MESSAGE(name, found);
            CPPUNIT_ASSERT_EQUAL(created.id, found->id);
        }
        const std::optional<User> alice = users.findById(created.id);
        CPPUNIT_ASSERT(alice);
        CPPUNIT_ASSERT_EQUAL(std::string("Alice_01"), alice->username);
        CPPUNIT_ASSERT_EQUAL(std::string("power"), alice->role);
        CPPUNIT_ASSERT(alice->groups == std::vector<std::string>({"artists", "beta"}));
        CPPUNIT_ASSERT(alice->sfwCheck);
        CPPUNIT_ASSERT_EQUAL(std::string("$argon2id$v=19$m=19456,t=2,p=1$salt$hash"),
                             alice->passwordHash);
        CPPUNIT_ASSERT(!alice->mfaEnabled);
        CPPUNIT_ASSERT_EQUAL(t0, alice->createdAt);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), alice->lastLoginAt);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), alice->tokensValidAfter);
        CPPUNIT_ASSERT(!alice->builtin);

        const User bob = users.create("bob", "user", {}, "", t0 + 1);
        CPPUNIT_ASSERT(bob.id != created.id);
        CPPUNIT_ASSERT(users.findById(bob.id)->groups.empty());
        CPPUNIT_ASSERT(!users.findByName("carol"));
        CPPUNIT_ASSERT(!users.findById("0000000000000000"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2), users.countAccounts());
        const std::vector<User> all = users.list();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), all.size());
        CPPUNIT_ASSERT_EQUAL(std::string("Alice_01"), all[0].username);
        CPPUNIT_ASSERT_EQUAL(std::string("bob"), all[1].username);
    }

    void checkUsernameRules(Database& db)
    {
        UserStore users(db);
        for (const std::string& bad : {std::string("ab"), std::string(65, 'a'),
                                       std::string("bad-name"), std::string("a b"),
                                       std::string("n\xc3\xa9v"), std::string("abc\n"),
                                       std::string(""), std::string("abc;drop")}) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, std::string("invalid_username"),
                                         codeOf([&] { users.create(bad, "user", {}, "", t0); }));
        }
        for (const char* reserved : {"guest", "GUEST", "System", "cli", "local", "root",
                                     "anonymous", "Default", "everyone", "__bot", "___"}) {
            const std::string code = codeOf([&] { users.create(reserved, "user", {}, "", t0); });
            CPPUNIT_ASSERT_EQUAL_MESSAGE(reserved, std::string("reserved_username"), code);
        }
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), users.countAccounts());
        users.create("admin", "admin", {}, "", t0);
        users.create(std::string(64, 'z'), "user", {}, "", t0);
        users.create("a_b", "user", {}, "", t0);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3), users.countAccounts());
    }

    void checkDuplicateName(Database& db)
    {
        UserStore users(db);
        users.create("alice", "user", {}, "", t0);
        CPPUNIT_ASSERT_EQUAL(std::string("username_exists"),
                             codeOf([&] { users.create("ALICE", "user", {}, "", t0); }));
        CPPUNIT_ASSERT_EQUAL(std::string("username_exists"),
                             codeOf([&] { users.create("alice", "owner", {}, "", t0); }));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), users.countAccounts());
    }

    void checkRolesAndGroups(Database& db)
    {
        UserStore users(db);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_role"),
                             codeOf([&] { users.create("alice", "superuser", {}, "", t0); }));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_role"),
                             codeOf([&] { users.create("alice", "", {}, "", t0); }));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_group"),
                             codeOf([&] { users.create("alice", "user", {"a b"}, "", t0); }));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_group"),
                             codeOf([&] { users.create("alice", "user", {""}, "", t0); }));
        const User alice = users.create("alice", "user", {"team.a", "x-1"}, "", t0);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_role"),
                             codeOf([&] { users.update(alice.id, "root", {}, {}); }));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_group"),
                             codeOf([&] { users.update(alice.id, "user", {"\"quoted\""}, {}); }));
        CPPUNIT_ASSERT(users.findById(alice.id)->groups
                       == std::vector<std::string>({"team.a", "x-1"}));
    }

    void checkSingleOwner(Database& db)
    {
        UserStore users(db);
        const User owner = users.create("owner1", "owner", {}, "", t0);
        CPPUNIT_ASSERT_EQUAL(std::string("owner_exists"),
                             codeOf([&] { users.create("owner2", "owner", {}, "", t0); }));
        CPPUNIT_ASSERT(!users.findByName("owner2"));
        const User bob = users.create("bob", "admin", {}, "", t0);
        CPPUNIT_ASSERT_EQUAL(std::string("owner_exists"),
                             codeOf([&] { users.update(bob.id, "owner", {}, {}); }));
        CPPUNIT_ASSERT_EQUAL(std::string("admin"), users.findById(bob.id)->role);
        CPPUNIT_ASSERT_EQUAL(std::string("owner_protected"),
                             codeOf([&] { users.update(owner.id, "admin", {}, {}); }));
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), users.findById(owner.id)->role);
        // The owner's groups and SFW flag may change; its role may stay "owner".
        users.update(owner.id, "owner", {"staff"}, false);
        CPPUNIT_ASSERT(!users.findById(owner.id)->sfwCheck);
        CPPUNIT_ASSERT(users.findById(owner.id)->groups == std::vector<std::string>({"staff"}));
        CPPUNIT_ASSERT_EQUAL(std::string("not_found"),
                             codeOf([&] { users.update("ffffffffffffffff", "user", {}, {}); }));
    }

    void checkDatabaseRefusesSecondOwner(Database& db)
    {
        UserStore users(db);
        users.create("owner1", "owner", {}, "", t0);
        const User bob = users.create("bob", "user", {}, "", t0);
        bool refused = false;
        try {
            db.write([&](Poco::Data::Session& session) {
                session << db.translate("UPDATE users SET role = 'owner' WHERE id = ?"),
                    bind(bob.id), now;
            });
        } catch (const Poco::Exception&) {
            refused = true;
        }
        CPPUNIT_ASSERT(refused);
        CPPUNIT_ASSERT_EQUAL(std::string("user"), users.findById(bob.id)->role);
        // With no owner (a database migrated from elsewhere), update() may appoint one.
        db.write([&](Poco::Data::Session& session) {
            session << "UPDATE users SET role = 'admin' WHERE role = 'owner'", now;
        });
        users.update(bob.id, "owner", {}, {});
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), users.findById(bob.id)->role);
    }

    void checkBuiltinGuest(Database& db)
    {
        UserStore users(db);
        const User guest = users.ensureGuest(t0);
        CPPUNIT_ASSERT_EQUAL(std::string("guest"), guest.username);
        CPPUNIT_ASSERT_EQUAL(std::string("guest"), guest.role);
        CPPUNIT_ASSERT(guest.builtin);
        CPPUNIT_ASSERT(guest.passwordHash.empty());
        CPPUNIT_ASSERT(guest.sfwCheck);
        CPPUNIT_ASSERT_EQUAL(guest.id, users.ensureGuest(t0 + 10).id);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), users.list().size());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), users.countAccounts());
        CPPUNIT_ASSERT_EQUAL(std::string("reserved_username"),
                             codeOf([&] { users.create("Guest", "user", {}, "", t0); }));

        CPPUNIT_ASSERT_EQUAL(std::string("guest_protected"),
                             codeOf([&] { users.update(guest.id, "user", {}, {}); }));
        CPPUNIT_ASSERT_EQUAL(std::string("guest_protected"),
                             codeOf([&] { users.update(guest.id, "guest", {}, false); }));
        CPPUNIT_ASSERT_EQUAL(std::string("guest_protected"),
                             codeOf([&] { users.remove(guest.id); }));
        CPPUNIT_ASSERT_EQUAL(std::string("guest_protected"),
                             codeOf([&] { users.setPassword(guest.id, "$argon2id$x"); }));
        users.update(guest.id, "guest", {"visitors"}, true);
        const User after = *users.findById(guest.id);
        CPPUNIT_ASSERT_EQUAL(std::string("guest"), after.role);
        CPPUNIT_ASSERT(after.groups == std::vector<std::string>({"visitors"}));
        CPPUNIT_ASSERT(after.passwordHash.empty());
    }

    void checkUpdate(Database& db)
    {
        UserStore users(db);
        const User alice = users.create("alice", "user", {"a"}, "", t0);
        users.update(alice.id, "power", {"b", "c"}, false);
        User after = *users.findById(alice.id);
        CPPUNIT_ASSERT_EQUAL(std::string("power"), after.role);
        CPPUNIT_ASSERT(after.groups == std::vector<std::string>({"b", "c"}));
        CPPUNIT_ASSERT(!after.sfwCheck);
        users.update(alice.id, "user", {}, std::nullopt);
        after = *users.findById(alice.id);
        CPPUNIT_ASSERT_EQUAL(std::string("user"), after.role);
        CPPUNIT_ASSERT(after.groups.empty());
        CPPUNIT_ASSERT(!after.sfwCheck); // unchanged when not given
    }

    void checkSetters(Database& db)
    {
        UserStore users(db);
        const User alice = users.create("alice", "user", {}, "old", t0);
        CPPUNIT_ASSERT(users.setPassword(alice.id, "new"));
        CPPUNIT_ASSERT(users.touchLogin(alice.id, t0 + 5));
        CPPUNIT_ASSERT(users.setTokensValidAfter(alice.id, t0 + 7));
        CPPUNIT_ASSERT(users.setMfaEnabled(alice.id, true));
        const User after = *users.findById(alice.id);
        CPPUNIT_ASSERT_EQUAL(std::string("new"), after.passwordHash);
        CPPUNIT_ASSERT_EQUAL(t0 + 5, after.lastLoginAt);
        CPPUNIT_ASSERT_EQUAL(t0 + 7, after.tokensValidAfter);
        CPPUNIT_ASSERT(after.mfaEnabled);
        CPPUNIT_ASSERT(users.setMfaEnabled(alice.id, false));
        CPPUNIT_ASSERT(!users.findById(alice.id)->mfaEnabled);

        const std::string nobody = "0123456789abcdef";
        CPPUNIT_ASSERT(!users.setPassword(nobody, "x"));
        CPPUNIT_ASSERT(!users.touchLogin(nobody, t0));
        CPPUNIT_ASSERT(!users.setTokensValidAfter(nobody, t0));
        CPPUNIT_ASSERT(!users.setMfaEnabled(nobody, true));
    }

    void checkRemoveCascades(Database& db)
    {
        UserStore users(db);
        users.create("owner1", "owner", {}, "", t0);
        const User alice = users.create("alice", "user", {}, "", t0);
        const User bob = users.create("bob", "user", {}, "", t0);
        giveEverything(db, *_secrets, alice.id, "a");
        giveEverything(db, *_secrets, bob.id, "b");
        for (const char* table : userTables)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(table, Poco::Int64(1), rowsFor(db, table, alice.id));

        users.remove(alice.id);
        CPPUNIT_ASSERT(!users.findById(alice.id));
        CPPUNIT_ASSERT(!users.findByName("alice"));
        for (const char* table : userTables) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(table, Poco::Int64(0), rowsFor(db, table, alice.id));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(table, Poco::Int64(1), rowsFor(db, table, bob.id));
        }
        // The name is free again, for a new account with a new id.
        const User again = users.create("Alice", "user", {}, "", t0 + 1);
        CPPUNIT_ASSERT(again.id != alice.id);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), rowsFor(db, "api_tokens", again.id));
    }

    void checkForeignKeyCascade(Database& db)
    {
        UserStore users(db);
        const User alice = users.create("alice", "user", {}, "", t0);
        giveEverything(db, *_secrets, alice.id, "a");
        db.write([&](Poco::Data::Session& session) {
            session << db.translate("DELETE FROM users WHERE id = ?"), bind(alice.id), now;
        });
        for (const char* table : userTables)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(table, Poco::Int64(0), rowsFor(db, table, alice.id));
    }

    void checkRemoveRefusals(Database& db)
    {
        UserStore users(db);
        const User admin = users.create("admin1", "admin", {}, "", t0);
        CPPUNIT_ASSERT_EQUAL(std::string("last_admin"), codeOf([&] { users.remove(admin.id); }));
        const User admin2 = users.create("admin2", "admin", {}, "", t0);
        users.remove(admin.id);
        CPPUNIT_ASSERT(!users.findById(admin.id));
        const User owner = users.create("owner1", "owner", {}, "", t0);
        CPPUNIT_ASSERT_EQUAL(std::string("owner_protected"),
                             codeOf([&] { users.remove(owner.id); }));
        users.remove(admin2.id); // the owner is still an administrator
        CPPUNIT_ASSERT_EQUAL(std::string("not_found"), codeOf([&] { users.remove(admin2.id); }));
        CPPUNIT_ASSERT(users.findById(owner.id));
    }

    void checkTransferOwnership(Database& db)
    {
        UserStore users(db);
        const User owner = users.create("owner1", "owner", {}, "", t0);
        const User bob = users.create("bob", "user", {}, "", t0);
        const User guest = users.ensureGuest(t0);

        CPPUNIT_ASSERT_EQUAL(std::string("not_owner"),
                             codeOf([&] { users.transferOwnership(bob.id, owner.id); }));
        CPPUNIT_ASSERT_EQUAL(std::string("same_user"),
                             codeOf([&] { users.transferOwnership(owner.id, owner.id); }));
        CPPUNIT_ASSERT_EQUAL(std::string("guest_protected"),
                             codeOf([&] { users.transferOwnership(owner.id, guest.id); }));
        CPPUNIT_ASSERT_EQUAL(std::string("not_found"), codeOf([&] {
                                 users.transferOwnership(owner.id, "ffffffffffffffff");
                             }));
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), users.findById(owner.id)->role);

        users.transferOwnership(owner.id, bob.id);
        CPPUNIT_ASSERT_EQUAL(std::string("admin"), users.findById(owner.id)->role);
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), users.findById(bob.id)->role);
        CPPUNIT_ASSERT_EQUAL(std::string("not_owner"),
                             codeOf([&] { users.transferOwnership(owner.id, bob.id); }));
        // The former owner may now be deleted; the new one may not.
        CPPUNIT_ASSERT_EQUAL(std::string("owner_protected"), codeOf([&] { users.remove(bob.id); }));
        users.remove(owner.id);
        CPPUNIT_ASSERT(!users.findById(owner.id));
    }

    void checkConcurrentCreates(Database& db)
    {
        UserStore users(db);
        std::atomic<int> created{0}, refused{0}, other{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i) {
            threads.emplace_back([&] {
                const std::string code = codeOf([&] { users.create("racer", "user", {}, "", t0); });
                if (code == "none")
                    ++created;
                else if (code == "username_exists")
                    ++refused;
                else
                    ++other;
            });
        }
        for (std::thread& thread : threads)
            thread.join();
        CPPUNIT_ASSERT_EQUAL(1, created.load());
        CPPUNIT_ASSERT_EQUAL(3, refused.load());
        CPPUNIT_ASSERT_EQUAL(0, other.load());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), users.countAccounts());
    }

    void checkConcurrentOwners(Database& db)
    {
        UserStore users(db);
        std::atomic<int> created{0}, refused{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i) {
            threads.emplace_back([&, i] {
                const std::string code = codeOf(
                    [&] { users.create("owner" + std::to_string(i), "owner", {}, "", t0); });
                if (code == "none")
                    ++created;
                else if (code == "owner_exists")
                    ++refused;
            });
        }
        for (std::thread& thread : threads)
            thread.join();
        CPPUNIT_ASSERT_EQUAL(1, created.load());
        CPPUNIT_ASSERT_EQUAL(3, refused.load());
        Poco::Int64 owners = 0;
        Poco::Data::Session session = db.session();
        session << "SELECT COUNT(*) FROM users WHERE role = 'owner'", into(owners), now;
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), owners);
    }

    std::unique_ptr<comfygate::test::TempDir> _dir;
    std::unique_ptr<PooledDatabase> _db;
    std::unique_ptr<comfygate::SealedSecrets> _secrets;
};

CPPUNIT_TEST_SUITE_REGISTRATION(UserStoreTest);
