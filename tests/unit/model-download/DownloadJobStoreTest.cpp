// The download_jobs table: round trips, ownership, claiming within limits, leases and
// recovery, cancellation — on SQLite and, when installed, PostgreSQL.
#include "DownloadJobStore.h"
#include "DownloadTesting.h"
#include "ModelFileIndex.h"

#include <cppunit/extensions/HelperMacros.h>

#include <fstream>
#include <iostream>

using comfygate::Database;
using comfygate::DatabaseSettings;
using comfygate::modeldownload::ConcurrencyLimits;
using comfygate::modeldownload::DownloadJobStore;
using comfygate::modeldownload::JobStatus;
using comfygate::modeldownload::ModelFileIndex;
using comfygate::test::makeJob;

namespace {

constexpr std::int64_t t0 = 1700000000;

} // namespace

class DownloadJobStoreTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(DownloadJobStoreTest);
    CPPUNIT_TEST(testSqlite);
    CPPUNIT_TEST(testPostgres);
    CPPUNIT_TEST(testFileIndexDropsStaleEntries);
    CPPUNIT_TEST_SUITE_END();

    using Check = void (DownloadJobStoreTest::*)(Database&);
    const std::vector<Check> checks{&DownloadJobStoreTest::checkRoundTrip,
                                    &DownloadJobStoreTest::checkListIsOwnNewestFirst,
                                    &DownloadJobStoreTest::checkClaimRespectsLimits,
                                    &DownloadJobStoreTest::checkLeases,
                                    &DownloadJobStoreTest::checkCancel,
                                    &DownloadJobStoreTest::checkOutcomesNeedTheLease,
                                    &DownloadJobStoreTest::checkFileIndex};

public:
    void testSqlite()
    {
        for (auto check : checks) {
            comfygate::test::TempDir dir;
            auto db = comfygate::test::openDownloadSqlite(dir);
            (this->*check)(*db);
        }
    }

    void testPostgres()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: DownloadJobStoreTest::testPostgres: PostgreSQL binaries not found\n";
            return;
        }
        comfygate::test::PostgresCluster cluster;
        int n = 0;
        for (auto check : checks) {
            const std::string name = "downloads" + std::to_string(++n);
            cluster.createDatabase(name);
            DatabaseSettings settings;
            settings.backend = Database::Backend::PostgreSQL;
            settings.postgresConnection = cluster.connectionString(name);
            auto db = comfygate::test::openDownloadDatabase(settings);
            (this->*check)(*db);
        }
    }

    void checkRoundTrip(Database& db)
    {
        DownloadJobStore store(db);
        auto job = makeJob("j1", "alice", "huggingface", t0);
        job.request.subfolder = "unet";
        job.request.targetUsername = "alice";
        job.request.requester = {"ada", "ada", "admin", {"admin", "ops"}};
        job.requestedBy = "ada";
        store.insert(job);
        const auto found = store.find("j1");
        CPPUNIT_ASSERT(found);
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), found->userId);
        CPPUNIT_ASSERT_EQUAL(std::string("ada"), found->requestedBy);
        CPPUNIT_ASSERT_EQUAL(std::string("org/model"), found->request.repoId);
        CPPUNIT_ASSERT_EQUAL(std::string("unet"), found->request.subfolder);
        CPPUNIT_ASSERT_EQUAL(std::string("admin"), found->request.requester.role);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), found->request.requester.groups.size());
        CPPUNIT_ASSERT(found->status == JobStatus::Queued);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(-1), found->totalBytes);
        CPPUNIT_ASSERT_EQUAL(t0, found->createdAt);
        CPPUNIT_ASSERT(!store.find("nope"));
    }

    void checkListIsOwnNewestFirst(Database& db)
    {
        DownloadJobStore store(db);
        store.insert(makeJob("a1", "alice", "civitai", t0));
        store.insert(makeJob("b1", "bob", "civitai", t0 + 1));
        store.insert(makeJob("a2", "alice", "huggingface", t0 + 2));
        const auto jobs = store.listForUser("alice", 10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), jobs.size());
        CPPUNIT_ASSERT_EQUAL(std::string("a2"), jobs[0].id);
        CPPUNIT_ASSERT_EQUAL(std::string("a1"), jobs[1].id);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), store.listForUser("alice", 1).size());
        CPPUNIT_ASSERT_EQUAL(2, store.unfinishedCount("alice"));
        CPPUNIT_ASSERT_EQUAL(0, store.unfinishedCount("carol"));
    }

    void checkClaimRespectsLimits(Database& db)
    {
        DownloadJobStore store(db);
        ConcurrencyLimits limits{3, 2, 1};
        for (int i = 0; i < 4; ++i)
            store.insert(makeJob("c" + std::to_string(i), "alice", "civitai", t0 + i));
        for (int i = 0; i < 3; ++i)
            store.insert(makeJob("h" + std::to_string(i), "bob", "huggingface", t0 + 10 + i));
        std::vector<std::string> claimed;
        while (auto job = store.claimNext(limits, "me", t0 + 100, 30))
            claimed.push_back(job->id);
        // Oldest first, two CivitAI, then one Hugging Face: three in all.
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), claimed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("c0"), claimed[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("c1"), claimed[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("h0"), claimed[2]);
        const auto stats = store.stats(limits);
        CPPUNIT_ASSERT_EQUAL(3, stats.activeTotal);
        CPPUNIT_ASSERT_EQUAL(2, stats.activeCivitai);
        CPPUNIT_ASSERT_EQUAL(1, stats.activeHuggingface);
        CPPUNIT_ASSERT_EQUAL(4, stats.pendingTotal);
        const auto running = store.find("c0");
        CPPUNIT_ASSERT(running->status == JobStatus::Running);
        CPPUNIT_ASSERT_EQUAL(std::string("me"), running->leaseOwner);
        CPPUNIT_ASSERT_EQUAL(t0 + 130, running->leaseExpiresAt);
        CPPUNIT_ASSERT_EQUAL(t0 + 100, running->startedAt);

        // A finished CivitAI job frees a CivitAI slot, not a Hugging Face one.
        store.complete("c0", "me", "checkpoints/a.safetensors", "ab", 10, t0 + 101);
        const auto next = store.claimNext(limits, "me", t0 + 102, 30);
        CPPUNIT_ASSERT(next);
        CPPUNIT_ASSERT_EQUAL(std::string("c2"), next->id);
        CPPUNIT_ASSERT(!store.claimNext(limits, "me", t0 + 102, 30));
    }

    void checkLeases(Database& db)
    {
        DownloadJobStore store(db);
        ConcurrencyLimits limits{5, 3, 2};
        store.insert(makeJob("mine", "alice", "civitai", t0));
        store.insert(makeJob("dead", "alice", "civitai", t0 + 1));
        store.claimNext(limits, "me", t0, 30);
        store.claimNext(limits, "ghost", t0, 30);
        store.recordProgress("dead", 400, 1000, 50.5);
        store.renewLeases("me", t0 + 20, 30);
        CPPUNIT_ASSERT_EQUAL(t0 + 50, store.find("mine")->leaseExpiresAt);
        // At t0+40 the ghost's lease (t0+30) ran out, ours (t0+50) did not.
        CPPUNIT_ASSERT_EQUAL(1, store.requeueExpired(t0 + 40));
        const auto dead = store.find("dead");
        CPPUNIT_ASSERT(dead->status == JobStatus::Queued);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(400), dead->bytesDone); // resumes, not restarts
        CPPUNIT_ASSERT_EQUAL(std::string(""), dead->leaseOwner);
        CPPUNIT_ASSERT(store.find("mine")->status == JobStatus::Running);
        // A live lease is never taken back, whoever asks: only its expiry frees the job.
        CPPUNIT_ASSERT_EQUAL(0, store.requeueExpired(t0 + 49));
        CPPUNIT_ASSERT(store.find("mine")->status == JobStatus::Running);
        CPPUNIT_ASSERT_EQUAL(1, store.requeueExpired(t0 + 51));
        CPPUNIT_ASSERT(store.find("mine")->status == JobStatus::Queued);
        // A re-claimed job keeps its first start time.
        store.claimNext(limits, "me", t0 + 60, 30);
        CPPUNIT_ASSERT_EQUAL(t0, store.find("mine")->startedAt);
        store.requeue("mine", "me");
        CPPUNIT_ASSERT(store.find("mine")->status == JobStatus::Queued);
    }

    void checkCancel(Database& db)
    {
        DownloadJobStore store(db);
        ConcurrencyLimits limits{5, 3, 2};
        store.insert(makeJob("run", "alice", "civitai", t0));
        store.insert(makeJob("wait", "alice", "civitai", t0 + 1));
        store.insert(makeJob("other", "bob", "civitai", t0 + 2));
        store.claimNext(limits, "me", t0, 30); // "run"
        CPPUNIT_ASSERT(DownloadJobStore::CancelResult::NotFound == store.requestCancel("other", "alice", t0));
        CPPUNIT_ASSERT(DownloadJobStore::CancelResult::Cancelled == store.requestCancel("wait", "alice", t0 + 5));
        CPPUNIT_ASSERT(store.find("wait")->status == JobStatus::Cancelled);
        CPPUNIT_ASSERT_EQUAL(t0 + 5, store.find("wait")->finishedAt);
        CPPUNIT_ASSERT(DownloadJobStore::CancelResult::AlreadyFinished == store.requestCancel("wait", "alice", t0));
        CPPUNIT_ASSERT(DownloadJobStore::CancelResult::Requested == store.requestCancel("run", "alice", t0 + 6));
        CPPUNIT_ASSERT(store.find("run")->status == JobStatus::Running);
        CPPUNIT_ASSERT(store.find("run")->cancelRequested);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), store.cancelRequested("me").size());
        CPPUNIT_ASSERT(store.cancelRequested("someone-else").empty());
        // Its runner died before it stopped: the job is cancelled, not resumed.
        store.requeueExpired(t0 + 100);
        CPPUNIT_ASSERT(store.find("run")->status == JobStatus::Cancelled);
        const auto next = store.claimNext(limits, "me", t0 + 101, 30);
        CPPUNIT_ASSERT(next && next->id == "other");
    }

    void checkOutcomesNeedTheLease(Database& db)
    {
        DownloadJobStore store(db);
        ConcurrencyLimits limits{5, 3, 2};
        store.insert(makeJob("j", "alice", "huggingface", t0));
        store.claimNext(limits, "me", t0, 30);
        // An instance that lost the lease cannot overwrite the outcome.
        store.fail("j", "intruder", "nope", t0 + 1);
        CPPUNIT_ASSERT(store.find("j")->status == JobStatus::Running);
        store.complete("j", "me", "checkpoints/model.safetensors", "abc", 1234, t0 + 2);
        const auto done = store.find("j");
        CPPUNIT_ASSERT(done->status == JobStatus::Completed);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1234), done->bytesDone);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1234), done->totalBytes);
        CPPUNIT_ASSERT_EQUAL(std::string("abc"), done->sha256);
        CPPUNIT_ASSERT_EQUAL(t0 + 2, done->finishedAt);
        store.insert(makeJob("f", "alice", "huggingface", t0 + 3));
        store.claimNext(limits, "me", t0 + 3, 30);
        store.fail("f", "me", "gated repository: request access at https://huggingface.co/org/model", t0 + 4);
        CPPUNIT_ASSERT(store.find("f")->status == JobStatus::Failed);
        CPPUNIT_ASSERT(store.find("f")->error.find("gated repository") == 0);
    }

    void checkFileIndex(Database& db)
    {
        comfygate::test::TempDir dir;
        const std::string file = dir.file("a.safetensors");
        std::ofstream(file) << "12345";
        ModelFileIndex index(db);
        index.record(file, 5, "feed", t0);
        CPPUNIT_ASSERT_EQUAL(file, index.findInDirectory(dir.path(), "feed").value_or(""));
        CPPUNIT_ASSERT(!index.findInDirectory(dir.path(), "beef"));
        CPPUNIT_ASSERT(!index.findInDirectory(dir.path() + "/other", "feed"));
    }

    void testFileIndexDropsStaleEntries()
    {
        comfygate::test::TempDir dir;
        auto db = comfygate::test::openDownloadSqlite(dir);
        ModelFileIndex index(*db);
        const std::string changed = dir.file("changed.bin");
        const std::string gone = dir.file("gone.bin");
        std::ofstream(changed) << "1234567";
        index.record(changed, 5, "same", t0);
        index.record(gone, 5, "same", t0);
        CPPUNIT_ASSERT(!index.findInDirectory(dir.path(), "same"));
        std::ofstream(gone) << "12345";
        CPPUNIT_ASSERT(!index.findInDirectory(dir.path(), "same")); // both entries were dropped
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DownloadJobStoreTest);
