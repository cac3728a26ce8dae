#include "AuthStoreTesting.h"
#include "CredentialCache.h"
#include "RevocationEpoch.h"
#include "RevocationTrackingDatabase.h"
#include "SessionStore.h"
#include "UserStore.h"

#include <cppunit/extensions/HelperMacros.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using comfygate::auth::CredentialCache;
using comfygate::auth::RevocationEpoch;
using comfygate::auth::RevocationTrackingDatabase;
using comfygate::auth::SessionStore;
using comfygate::auth::UserStore;

namespace {

constexpr std::int64_t t0 = 1700000000;

CredentialCache::Row row(const std::string& userId)
{
    CredentialCache::Row r;
    r.first.id = userId;
    r.second = {Poco::Int64(t0), Poco::Int64(0)};
    return r;
}

} // namespace

/// CredentialCache, RevocationEpoch and RevocationTrackingDatabase: what the auth module's
/// verified-credential cache relies on to stay exact.
class CredentialCacheTest : public comfygate::test::SqliteStoreFixture
{
    CPPUNIT_TEST_SUITE(CredentialCacheTest);
    CPPUNIT_TEST(testHitUntilTheEpochAdvances);
    CPPUNIT_TEST(testRowReadBeforeAnAdvanceIsNotKept);
    CPPUNIT_TEST(testBounded);
    CPPUNIT_TEST(testCapacityZeroDisables);
    CPPUNIT_TEST(testEpochFileIsSharedBetweenMappings);
    CPPUNIT_TEST(testEpochFileIsSharedWithAnotherProcess);
    CPPUNIT_TEST(testEpochFileIsPrivate);
    CPPUNIT_TEST(testEveryTrackedWriteAdvances);
    CPPUNIT_TEST(testLastUseTouchesDoNotAdvance);
    CPPUNIT_TEST_SUITE_END();

public:
    void testHitUntilTheEpochAdvances()
    {
        RevocationEpoch epoch;
        CredentialCache cache(epoch, 10);
        cache.remember("t:a", row("alice"), cache.epoch());
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), cache.find("t:a")->first.id);
        epoch.advance();
        CPPUNIT_ASSERT(!cache.find("t:a"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), cache.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), cache.hits());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), cache.misses());
    }

    void testRowReadBeforeAnAdvanceIsNotKept()
    {
        RevocationEpoch epoch;
        CredentialCache cache(epoch, 10);
        const auto before = cache.epoch();
        epoch.advance(); // a revocation committed while the row was being read
        cache.remember("t:a", row("alice"), before);
        CPPUNIT_ASSERT(!cache.find("t:a"));
    }

    void testBounded()
    {
        RevocationEpoch epoch;
        CredentialCache cache(epoch, 3);
        for (int i = 0; i < 10; ++i)
            cache.remember("t:" + std::to_string(i), row("u" + std::to_string(i)), cache.epoch());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), cache.size());
        CPPUNIT_ASSERT(cache.find("t:9"));
        CPPUNIT_ASSERT(!cache.find("t:0"));
    }

    void testCapacityZeroDisables()
    {
        RevocationEpoch epoch;
        CredentialCache cache(epoch, 0);
        cache.remember("t:a", row("alice"), cache.epoch());
        CPPUNIT_ASSERT(!cache.find("t:a"));
    }

    void testEpochFileIsSharedBetweenMappings()
    {
        const std::string path = _dir->file("epoch");
        RevocationEpoch server(path);
        const auto start = server.current();
        {
            RevocationEpoch cli(path);
            CPPUNIT_ASSERT(cli.shared());
            cli.advance();
            cli.advance();
        }
        CPPUNIT_ASSERT_EQUAL(start + 2, server.current());
        RevocationEpoch later(path); // a restart keeps counting (never truncated)
        CPPUNIT_ASSERT_EQUAL(start + 2, later.current());
    }

    void testEpochFileIsSharedWithAnotherProcess()
    {
        const std::string path = _dir->file("epoch");
        RevocationEpoch server(path);
        CredentialCache cache(server, 10);
        cache.remember("s:jti", row("alice"), cache.epoch());
        const pid_t child = ::fork();
        if (child == 0) {
            RevocationEpoch cli(path);
            cli.advance();
            ::_exit(0);
        }
        int status = 0;
        ::waitpid(child, &status, 0);
        CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CPPUNIT_ASSERT(!cache.find("s:jti"));
    }

    void testEpochFileIsPrivate()
    {
        const std::string path = _dir->file("epoch");
        RevocationEpoch epoch(path);
        struct stat status {};
        CPPUNIT_ASSERT_EQUAL(0, ::stat(path.c_str(), &status));
        CPPUNIT_ASSERT_EQUAL(0600, static_cast<int>(status.st_mode & 0777));
    }

    void testEveryTrackedWriteAdvances()
    {
        RevocationEpoch epoch;
        RevocationTrackingDatabase tracked(*_db, epoch);
        UserStore users(tracked);
        const auto id = users.create("alice", "user", {}, "", t0).id;
        auto seen = epoch.current();
        users.update(id, "power", {}, std::nullopt);
        CPPUNIT_ASSERT(epoch.current() > seen);
        seen = epoch.current();
        users.setTokensValidAfter(id, t0 + 1);
        CPPUNIT_ASSERT(epoch.current() > seen);
        seen = epoch.current();
        CPPUNIT_ASSERT(users.findById(id)); // reads do not advance
        CPPUNIT_ASSERT_EQUAL(seen, epoch.current());
        CPPUNIT_ASSERT_THROW(tracked.write([](Poco::Data::Session&) { throw std::runtime_error("rolled back"); }),
                             std::runtime_error);
        CPPUNIT_ASSERT_EQUAL(seen, epoch.current()); // nothing committed, nothing to drop
    }

    void testLastUseTouchesDoNotAdvance()
    {
        RevocationEpoch epoch;
        RevocationTrackingDatabase tracked(*_db, epoch);
        const auto id = UserStore(*_db).create("alice", "user", {}, "", t0).id;
        SessionStore sessions(tracked, *_db);
        sessions.create("jti", id, t0, t0 + 3600, "10.0.0.1", "ua");
        const auto seen = epoch.current();
        CPPUNIT_ASSERT(sessions.touch("jti", t0 + 100));
        CPPUNIT_ASSERT_EQUAL(seen, epoch.current());
        CPPUNIT_ASSERT(sessions.revoke("jti"));
        CPPUNIT_ASSERT(epoch.current() > seen);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CredentialCacheTest);
