#include "AuthStoreTesting.h"
#include "MfaStore.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "SealedSecrets.h"
#include "TempDir.h"
#include "UserStore.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/Session.h>
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <thread>

using namespace Poco::Data::Keywords;
using comfygate::Database;
using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;
using comfygate::auth::MfaStore;
using comfygate::auth::TempToken;
using comfygate::auth::UserStore;

using comfygate::test::openDatabase;
using comfygate::test::sqliteSettings;
using comfygate::test::sha256;
using comfygate::test::throws;

namespace {

constexpr std::int64_t t0 = 1700000000;
const std::string secretA = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const std::string secretB = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

// Runs `attempt` on 4 threads released together; returns how many got true.
int winners(const std::function<bool()>& attempt)
{
    std::atomic<int> ready{0}, won{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            ++ready;
            while (ready.load() < 4)
                std::this_thread::yield();
            if (attempt())
                ++won;
        });
    }
    for (std::thread& thread : threads)
        thread.join();
    return won.load();
}

bool mfaFlag(Database& db, const std::string& userId)
{
    int flag = -1;
    Poco::Data::Session session = db.session();
    session << db.translate("SELECT mfa_enabled FROM users WHERE id = ?"), into(flag),
        bind(userId), now;
    return flag == 1;
}

} // namespace

class MfaStoreTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(MfaStoreTest);
    CPPUNIT_TEST(testEnrolmentActivatesPendingSecret);
    CPPUNIT_TEST(testSecretsSealedAndBoundToUser);
    CPPUNIT_TEST(testNewSetupKeepsActiveSecretUntilActivated);
    CPPUNIT_TEST(testDisableForgetsEverything);
    CPPUNIT_TEST(testStepCannotBeReplayed);
    CPPUNIT_TEST(testConcurrentStepHasOneWinner);
    CPPUNIT_TEST(testBackupCodesSingleUse);
    CPPUNIT_TEST(testConcurrentBackupCodeHasOneWinner);
    CPPUNIT_TEST(testTempTokenSingleUse);
    CPPUNIT_TEST(testExpiredTempToken);
    CPPUNIT_TEST(testConcurrentTempTokenHasOneWinner);
    CPPUNIT_TEST(testTempTokenEndsAfterFiveFailures);
    CPPUNIT_TEST(testTempTokenRefusals);
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

    void testEnrolmentActivatesPendingSecret() { checkEnrolment(*_db); }
    void testSecretsSealedAndBoundToUser() { checkSealed(*_db); }
    void testNewSetupKeepsActiveSecretUntilActivated() { checkReSetup(*_db); }
    void testDisableForgetsEverything() { checkDisable(*_db); }
    void testStepCannotBeReplayed() { checkReplay(*_db); }
    void testConcurrentStepHasOneWinner() { checkConcurrentStep(*_db); }
    void testBackupCodesSingleUse() { checkBackupCodes(*_db); }
    void testConcurrentBackupCodeHasOneWinner() { checkConcurrentBackupCode(*_db); }
    void testTempTokenSingleUse() { checkTempToken(*_db); }
    void testExpiredTempToken() { checkExpiredTempToken(*_db); }
    void testConcurrentTempTokenHasOneWinner() { checkConcurrentTempToken(*_db); }
    void testTempTokenEndsAfterFiveFailures() { checkTempTokenFailures(*_db); }
    void testTempTokenRefusals() { checkTempTokenRefusals(*_db); }

    void testSurvivesRestart()
    {
        std::string alice;
        {
            alice = user(*_db, "alice");
            MfaStore mfa(*_db, *_secrets);
            mfa.setPendingSecret(alice, secretA);
            mfa.activate(alice);
            mfa.consumeStep(alice, 5000);
            mfa.replaceBackupCodes(alice, {sha256("code")});
            mfa.createTempToken(sha256("temp"), alice, "login", t0 + 300, "{}");
        }
        _db->close();
        _db = openDatabase(sqliteSettings(*_dir));
        // A new Secrets object with the same server key opens what the old one sealed.
        comfygate::SealedSecrets secrets("0123456789abcdef0123456789abcdef-test-key", "");
        MfaStore mfa(*_db, secrets);
        CPPUNIT_ASSERT_EQUAL(secretA, mfa.activeSecret(alice).value_or(""));
        CPPUNIT_ASSERT(!mfa.consumeStep(alice, 5000));
        CPPUNIT_ASSERT(mfa.consumeStep(alice, 5001));
        CPPUNIT_ASSERT(mfa.consumeBackupCode(alice, sha256("code")));
        CPPUNIT_ASSERT(mfa.consumeTempToken(sha256("temp"), t0));
    }

    void testPostgres()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: MfaStoreTest::testPostgres: PostgreSQL binaries not found\n";
            return;
        }
        comfygate::test::PostgresCluster cluster;
        int n = 0;
        for (auto check : {&MfaStoreTest::checkEnrolment, &MfaStoreTest::checkSealed,
                           &MfaStoreTest::checkReSetup, &MfaStoreTest::checkDisable,
                           &MfaStoreTest::checkReplay, &MfaStoreTest::checkConcurrentStep,
                           &MfaStoreTest::checkBackupCodes,
                           &MfaStoreTest::checkConcurrentBackupCode, &MfaStoreTest::checkTempToken,
                           &MfaStoreTest::checkExpiredTempToken,
                           &MfaStoreTest::checkConcurrentTempToken,
                           &MfaStoreTest::checkTempTokenFailures,
                           &MfaStoreTest::checkTempTokenRefusals}) {
            const std::string name = "mfa" + std::to_string(++n);
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
    std::string user(Database& db, const std::string& name)
    {
        return UserStore(db).create(name, "user", {}, "", t0).id;
    }

    void checkEnrolment(Database& db)
    {
        const std::string alice = user(db, "alice");
        MfaStore mfa(db, *_secrets);
        CPPUNIT_ASSERT(!mfa.pendingSecret(alice));
        CPPUNIT_ASSERT(!mfa.activate(alice));
        mfa.setPendingSecret(alice, secretA);
        CPPUNIT_ASSERT_EQUAL(secretA, mfa.pendingSecret(alice).value_or(""));
        CPPUNIT_ASSERT(!mfa.activeSecret(alice));
        CPPUNIT_ASSERT(!mfaFlag(db, alice));

        CPPUNIT_ASSERT(mfa.activate(alice));
        CPPUNIT_ASSERT_EQUAL(secretA, mfa.activeSecret(alice).value_or(""));
        CPPUNIT_ASSERT(!mfa.pendingSecret(alice));
        CPPUNIT_ASSERT(mfaFlag(db, alice));
        CPPUNIT_ASSERT(UserStore(db).findById(alice)->mfaEnabled);
        CPPUNIT_ASSERT(!mfa.activate(alice));

        CPPUNIT_ASSERT(throws<std::invalid_argument>([&] { mfa.setPendingSecret(alice, ""); }));
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { mfa.setPendingSecret("ffffffffffffffff", secretA); }));
    }

    void checkSealed(Database& db)
    {
        const std::string alice = user(db, "alice");
        const std::string bob = user(db, "bob");
        MfaStore mfa(db, *_secrets);
        mfa.setPendingSecret(alice, secretA);
        mfa.activate(alice);
        mfa.setPendingSecret(bob, secretB);

        std::string stored;
        {
            Poco::Data::Session session = db.session();
            session << db.translate("SELECT active_secret FROM mfa_totp WHERE user_id = ?"),
                into(stored), bind(alice), now;
        }
        CPPUNIT_ASSERT(!stored.empty());
        CPPUNIT_ASSERT(stored.find(secretA) == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(secretA, _secrets->open(stored, "user:" + alice + "|totp"));

        // Alice's sealed secret copied into Bob's row does not open for Bob.
        db.write([&](Poco::Data::Session& session) {
            session << db.translate("UPDATE mfa_totp SET pending_secret = ? WHERE user_id = ?"),
                bind(stored), bind(bob), now;
        });
        CPPUNIT_ASSERT(throws<std::runtime_error>([&] { mfa.pendingSecret(bob); }));
    }

    void checkReSetup(Database& db)
    {
        const std::string alice = user(db, "alice");
        MfaStore mfa(db, *_secrets);
        mfa.setPendingSecret(alice, secretA);
        mfa.activate(alice);
        CPPUNIT_ASSERT(mfa.consumeStep(alice, 1000));
        mfa.setPendingSecret(alice, secretB);
        CPPUNIT_ASSERT_EQUAL(secretA, mfa.activeSecret(alice).value_or(""));
        CPPUNIT_ASSERT_EQUAL(secretB, mfa.pendingSecret(alice).value_or(""));
        CPPUNIT_ASSERT(mfa.activate(alice));
        CPPUNIT_ASSERT_EQUAL(secretB, mfa.activeSecret(alice).value_or(""));
        // Steps stay monotonic across the change of secret.
        CPPUNIT_ASSERT(!mfa.consumeStep(alice, 1000));
    }

    void checkDisable(Database& db)
    {
        const std::string alice = user(db, "alice");
        MfaStore mfa(db, *_secrets);
        mfa.setPendingSecret(alice, secretA);
        mfa.activate(alice);
        mfa.consumeStep(alice, 1000);
        mfa.replaceBackupCodes(alice, {sha256("c1"), sha256("c2")});
        mfa.disable(alice);
        CPPUNIT_ASSERT(!mfa.activeSecret(alice));
        CPPUNIT_ASSERT(!mfa.pendingSecret(alice));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), mfa.backupCodesLeft(alice));
        CPPUNIT_ASSERT(!mfa.consumeBackupCode(alice, sha256("c1")));
        CPPUNIT_ASSERT(!mfa.consumeStep(alice, 2000)); // no TOTP record any more
        CPPUNIT_ASSERT(!mfaFlag(db, alice));
        // A fresh enrolment starts over.
        mfa.setPendingSecret(alice, secretB);
        CPPUNIT_ASSERT(mfa.activate(alice));
        CPPUNIT_ASSERT(mfa.consumeStep(alice, 999));
    }

    void checkReplay(Database& db)
    {
        const std::string alice = user(db, "alice");
        const std::string bob = user(db, "bob");
        MfaStore mfa(db, *_secrets);
        mfa.setPendingSecret(alice, secretA);
        mfa.activate(alice);
        mfa.setPendingSecret(bob, secretB);
        mfa.activate(bob);
        const std::int64_t step = t0 / 30;
        CPPUNIT_ASSERT(mfa.consumeStep(alice, step));
        CPPUNIT_ASSERT(!mfa.consumeStep(alice, step));     // the same code again
        CPPUNIT_ASSERT(!mfa.consumeStep(alice, step - 1)); // an older code of the window
        CPPUNIT_ASSERT(mfa.consumeStep(bob, step));        // per user
        CPPUNIT_ASSERT(mfa.consumeStep(alice, step + 1));
        CPPUNIT_ASSERT(!mfa.consumeStep(alice, step + 1));
        CPPUNIT_ASSERT(!mfa.consumeStep("ffffffffffffffff", step));
    }

    void checkConcurrentStep(Database& db)
    {
        const std::string alice = user(db, "alice");
        MfaStore mfa(db, *_secrets);
        mfa.setPendingSecret(alice, secretA);
        mfa.activate(alice);
        CPPUNIT_ASSERT_EQUAL(1, winners([&] { return mfa.consumeStep(alice, 77); }));
        CPPUNIT_ASSERT_EQUAL(1, winners([&] { return mfa.consumeStep(alice, 78); }));
    }

    void checkBackupCodes(Database& db)
    {
        const std::string alice = user(db, "alice");
        const std::string bob = user(db, "bob");
        MfaStore mfa(db, *_secrets);
        mfa.replaceBackupCodes(alice, {sha256("c1"), sha256("c2"), sha256("c3"), sha256("c3")});
        mfa.replaceBackupCodes(bob, {sha256("b1")});
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), mfa.backupCodesLeft(alice));
        CPPUNIT_ASSERT(mfa.consumeBackupCode(alice, sha256("c2")));
        CPPUNIT_ASSERT(!mfa.consumeBackupCode(alice, sha256("c2")));
        CPPUNIT_ASSERT(!mfa.consumeBackupCode(alice, sha256("b1"))); // Bob's code
        CPPUNIT_ASSERT(!mfa.consumeBackupCode(alice, sha256("nope")));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), mfa.backupCodesLeft(alice));

        mfa.replaceBackupCodes(alice, {sha256("n1")});
        CPPUNIT_ASSERT(!mfa.consumeBackupCode(alice, sha256("c1")));
        CPPUNIT_ASSERT(mfa.consumeBackupCode(alice, sha256("n1")));
        CPPUNIT_ASSERT(mfa.consumeBackupCode(bob, sha256("b1")));

        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { mfa.replaceBackupCodes(alice, {sha256("ok"), "plain-code"}); }));
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { mfa.replaceBackupCodes("ffffffffffffffff", {sha256("x")}); }));
    }

    void checkConcurrentBackupCode(Database& db)
    {
        const std::string alice = user(db, "alice");
        MfaStore mfa(db, *_secrets);
        mfa.replaceBackupCodes(alice, {sha256("c1"), sha256("c2")});
        CPPUNIT_ASSERT_EQUAL(1,
                             winners([&] { return mfa.consumeBackupCode(alice, sha256("c1")); }));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), mfa.backupCodesLeft(alice));
    }

    void checkTempToken(Database& db)
    {
        const std::string alice = user(db, "alice");
        MfaStore mfa(db, *_secrets);
        const std::string hash = sha256("temp");
        mfa.createTempToken(hash, alice, "token", t0 + 300, R"({"label":"ci","hours":24})");
        const std::optional<TempToken> peeked = mfa.peekTempToken(hash, t0 + 10);
        CPPUNIT_ASSERT(peeked);
        CPPUNIT_ASSERT_EQUAL(alice, peeked->userId);
        CPPUNIT_ASSERT_EQUAL(std::string("token"), peeked->purpose);
        CPPUNIT_ASSERT(mfa.peekTempToken(hash, t0 + 20)); // peeking does not consume

        const std::optional<TempToken> consumed = mfa.consumeTempToken(hash, t0 + 30);
        CPPUNIT_ASSERT(consumed);
        CPPUNIT_ASSERT_EQUAL(alice, consumed->userId);
        CPPUNIT_ASSERT_EQUAL(std::string("token"), consumed->purpose);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"label":"ci","hours":24})"), consumed->payloadJson);
        CPPUNIT_ASSERT_EQUAL(t0 + 300, consumed->expiresAt);
        CPPUNIT_ASSERT(!mfa.consumeTempToken(hash, t0 + 31));
        CPPUNIT_ASSERT(!mfa.peekTempToken(hash, t0 + 31));
        CPPUNIT_ASSERT(!mfa.consumeTempToken(sha256("unknown"), t0));
    }

    void checkExpiredTempToken(Database& db)
    {
        const std::string alice = user(db, "alice");
        MfaStore mfa(db, *_secrets);
        mfa.createTempToken(sha256("a"), alice, "login", t0 + 300, "");
        mfa.createTempToken(sha256("b"), alice, "setup", t0 + 300, "");
        mfa.createTempToken(sha256("c"), alice, "login", t0 + 600, "");
        CPPUNIT_ASSERT(!mfa.peekTempToken(sha256("a"), t0 + 300));
        CPPUNIT_ASSERT(!mfa.consumeTempToken(sha256("a"), t0 + 300));
        CPPUNIT_ASSERT(!mfa.consumeTempToken(sha256("a"), t0)); // deleted when found expired
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), mfa.purgeExpiredTempTokens(t0 + 400));
        CPPUNIT_ASSERT(!mfa.peekTempToken(sha256("b"), t0));
        CPPUNIT_ASSERT(mfa.peekTempToken(sha256("c"), t0 + 400));
    }

    void checkConcurrentTempToken(Database& db)
    {
        const std::string alice = user(db, "alice");
        MfaStore mfa(db, *_secrets);
        mfa.createTempToken(sha256("race"), alice, "login", t0 + 300, "");
        CPPUNIT_ASSERT_EQUAL(
            1, winners([&] { return mfa.consumeTempToken(sha256("race"), t0).has_value(); }));
    }

    void checkTempTokenFailures(Database& db)
    {
        const std::string alice = user(db, "alice");
        MfaStore mfa(db, *_secrets);
        const std::string hash = sha256("guessed");
        mfa.createTempToken(hash, alice, "login", t0 + 300, "");
        CPPUNIT_ASSERT_EQUAL(4, mfa.recordTempTokenFailure(hash));
        CPPUNIT_ASSERT_EQUAL(3, mfa.recordTempTokenFailure(hash));
        CPPUNIT_ASSERT_EQUAL(2, mfa.recordTempTokenFailure(hash));
        CPPUNIT_ASSERT_EQUAL(1, mfa.recordTempTokenFailure(hash));
        CPPUNIT_ASSERT(mfa.peekTempToken(hash, t0));
        CPPUNIT_ASSERT_EQUAL(0, mfa.recordTempTokenFailure(hash));
        CPPUNIT_ASSERT(!mfa.peekTempToken(hash, t0));
        CPPUNIT_ASSERT(!mfa.consumeTempToken(hash, t0));
        CPPUNIT_ASSERT_EQUAL(0, mfa.recordTempTokenFailure(hash));
        CPPUNIT_ASSERT_EQUAL(0, mfa.recordTempTokenFailure(sha256("unknown")));

        MfaStore strict(db, *_secrets, 2);
        mfa.createTempToken(sha256("strict"), alice, "login", t0 + 300, "");
        CPPUNIT_ASSERT_EQUAL(1, strict.recordTempTokenFailure(sha256("strict")));
        CPPUNIT_ASSERT_EQUAL(0, strict.recordTempTokenFailure(sha256("strict")));
        CPPUNIT_ASSERT(!strict.consumeTempToken(sha256("strict"), t0));
        CPPUNIT_ASSERT(throws<std::invalid_argument>([&] { MfaStore(db, *_secrets, 0); }));
    }

    void checkTempTokenRefusals(Database& db)
    {
        const std::string alice = user(db, "alice");
        MfaStore mfa(db, *_secrets);
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { mfa.createTempToken(sha256("x"), alice, "admin", t0 + 300, ""); }));
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { mfa.createTempToken("raw-token", alice, "login", t0 + 300, ""); }));
        CPPUNIT_ASSERT(throws<std::invalid_argument>(
            [&] { mfa.createTempToken(sha256("x"), "ffffffffffffffff", "login", t0 + 300, ""); }));
        CPPUNIT_ASSERT(!mfa.peekTempToken(sha256("x"), t0));
        mfa.createTempToken(sha256("x"), alice, "setup", t0 + 300, "");
        CPPUNIT_ASSERT(mfa.peekTempToken(sha256("x"), t0));
    }

    std::unique_ptr<comfygate::test::TempDir> _dir;
    std::unique_ptr<PooledDatabase> _db;
    std::unique_ptr<comfygate::SealedSecrets> _secrets;
};

CPPUNIT_TEST_SUITE_REGISTRATION(MfaStoreTest);
