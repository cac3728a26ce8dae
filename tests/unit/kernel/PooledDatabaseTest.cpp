#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/Session.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <thread>

using namespace Poco::Data::Keywords;
using comfygate::Database;
using comfygate::DatabaseSettings;
using comfygate::Migration;
using comfygate::PooledDatabase;

namespace {

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

// The message of what `action` throws as E; fails the test when it throws nothing or else.
template <class E, class F>
std::string messageOf(F action)
{
    try {
        action();
    } catch (const E& error) {
        return error.what();
    }
    CPPUNIT_FAIL("expected an exception");
    return {};
}

Poco::Int64 count(Database& db, const std::string& sql)
{
    Poco::Int64 n = -1;
    Poco::Data::Session session = db.session();
    session << sql, into(n), now;
    return n;
}

bool tableExists(PooledDatabase& db, const std::string& table)
{
    std::string name = table;
    if (db.backend() == Database::Backend::SQLite)
        return count(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '"
                             + name + "'")
            == 1;
    return count(db, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '"
                         + name + "'")
        == 1;
}

const std::vector<Migration> alphaMigrations = {
    {1, "create_items", "CREATE TABLE items (id {{id}}, label VARCHAR(50) NOT NULL);"
                        "INSERT INTO items (label) VALUES ('first')"},
    {2, "add_price", "-- a comment; with a semicolon\n"
                     "ALTER TABLE items ADD COLUMN price {{bigint}} NOT NULL DEFAULT 0;\n"
                     "/* block; comment */\n"
                     "UPDATE items SET price = 7;"},
};

} // namespace

class PooledDatabaseTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PooledDatabaseTest);
    CPPUNIT_TEST(testMigrationsAppliedOnceAndRecordedPerOwner);
    CPPUNIT_TEST(testMigrateAgainIsNoOp);
    CPPUNIT_TEST(testLaterMigrationsApplyOnTopOfRecorded);
    CPPUNIT_TEST(testFailingMigrationRollsBackAndNamesIt);
    CPPUNIT_TEST(testRenamedMigrationRefused);
    CPPUNIT_TEST(testUnknownRecordedMigrationRefused);
    CPPUNIT_TEST(testOutOfOrderPendingMigrationRefused);
    CPPUNIT_TEST(testNumbersMustIncrease);
    CPPUNIT_TEST(testEveryConnectionIsPrepared);
    CPPUNIT_TEST(testForeignKeysEnforced);
    CPPUNIT_TEST(testWriteCommits);
    CPPUNIT_TEST(testWriteRollsBackAndRethrows);
    CPPUNIT_TEST(testNestedWriteRefused);
    CPPUNIT_TEST(testSessionInsideWriteJoinsTransaction);
    CPPUNIT_TEST(testLeftoverTransactionRolledBack);
    CPPUNIT_TEST(testConcurrentWritesNeverBusy);
    CPPUNIT_TEST(testDataSurvivesReopen);
    CPPUNIT_TEST(testPoolWaitsThenGivesUp);
    CPPUNIT_TEST(testOpenFailureNamesSqlitePath);
    CPPUNIT_TEST(testOpenFailureNamesPostgresHost);
    CPPUNIT_TEST(testNotOpenRefused);
    CPPUNIT_TEST(testTranslateSqlite);
    CPPUNIT_TEST(testTranslatePostgres);
    CPPUNIT_TEST(testTranslateUnknownToken);
    CPPUNIT_TEST(testTranslateLockTokens);
    CPPUNIT_TEST(testSelectSeesEveryCommitAtOnce);
    CPPUNIT_TEST(testExecuteWritesOneStatement);
    CPPUNIT_TEST(testExecuteBesideConcurrentWrites);
    CPPUNIT_TEST(testPostgresLive);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = std::make_unique<comfygate::test::TempDir>();
        _db = std::make_unique<PooledDatabase>(sqliteSettings());
        _db->open();
    }

    void tearDown() override
    {
        _db.reset();
        _dir.reset();
    }

    DatabaseSettings sqliteSettings() const
    {
        DatabaseSettings settings;
        settings.sqlitePath = _dir->file("test.db");
        settings.maxSessions = 4;
        settings.busyTimeoutMs = 5000;
        settings.poolWaitMs = 2000;
        return settings;
    }

    void testMigrationsAppliedOnceAndRecordedPerOwner()
    {
        _db->migrate("alpha", alphaMigrations);
        _db->migrate("beta", {{1, "create_notes", "CREATE TABLE notes (id {{id}}, body TEXT)"}});

        CPPUNIT_ASSERT(tableExists(*_db, "items"));
        CPPUNIT_ASSERT(tableExists(*_db, "notes"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(7), count(*_db, "SELECT price FROM items"));

        const auto alpha = _db->appliedMigrations("alpha");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), alpha.size());
        CPPUNIT_ASSERT_EQUAL(1, alpha[0].first);
        CPPUNIT_ASSERT_EQUAL(std::string("create_items"), alpha[0].second);
        CPPUNIT_ASSERT_EQUAL(2, alpha[1].first);
        CPPUNIT_ASSERT_EQUAL(std::string("add_price"), alpha[1].second);
        const auto beta = _db->appliedMigrations("beta");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), beta.size());
        CPPUNIT_ASSERT_EQUAL(std::string("create_notes"), beta[0].second);

        const Poco::Int64 appliedAt =
            count(*_db, "SELECT MIN(applied_at) FROM schema_migrations");
        CPPUNIT_ASSERT(std::abs(appliedAt - std::time(nullptr)) < 60);
    }

    void testMigrateAgainIsNoOp()
    {
        _db->migrate("alpha", alphaMigrations);
        _db->migrate("alpha", alphaMigrations); // CREATE TABLE again would fail
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), count(*_db, "SELECT COUNT(*) FROM items"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2),
                             count(*_db, "SELECT COUNT(*) FROM schema_migrations"));
    }

    void testLaterMigrationsApplyOnTopOfRecorded()
    {
        _db->migrate("alpha", {alphaMigrations[0]});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _db->appliedMigrations("alpha").size());
        _db->migrate("alpha", alphaMigrations);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), _db->appliedMigrations("alpha").size());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(7), count(*_db, "SELECT price FROM items"));
    }

    void testFailingMigrationRollsBackAndNamesIt()
    {
        const std::vector<Migration> migrations = {
            alphaMigrations[0],
            {2, "broken", "CREATE TABLE half (id INTEGER);"
                          "INSERT INTO items (label) VALUES ('second');"
                          "INSERT INTO missing_table VALUES (1)"},
        };
        const std::string message =
            messageOf<std::runtime_error>([&] { _db->migrate("alpha", migrations); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "migration alpha/002_broken failed: "));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "missing_table"));

        CPPUNIT_ASSERT(tableExists(*_db, "items"));
        CPPUNIT_ASSERT(!tableExists(*_db, "half"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), count(*_db, "SELECT COUNT(*) FROM items"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _db->appliedMigrations("alpha").size());
    }

    void testRenamedMigrationRefused()
    {
        _db->migrate("alpha", alphaMigrations);
        std::vector<Migration> renamed = alphaMigrations;
        renamed[1].name = "add_cost";
        const std::string message =
            messageOf<std::runtime_error>([&] { _db->migrate("alpha", renamed); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "alpha/002"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "'add_price'"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "'add_cost'"));
    }

    void testUnknownRecordedMigrationRefused()
    {
        _db->migrate("alpha", alphaMigrations);
        const std::string message =
            messageOf<std::runtime_error>([&] { _db->migrate("alpha", {alphaMigrations[0]}); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "alpha/002_add_price"));
    }

    void testOutOfOrderPendingMigrationRefused()
    {
        _db->migrate("alpha", {{2, "second", "CREATE TABLE second (id INTEGER)"}});
        const std::string message = messageOf<std::runtime_error>([&] {
            _db->migrate("alpha", {{1, "first", "CREATE TABLE first (id INTEGER)"},
                                   {2, "second", "CREATE TABLE second (id INTEGER)"}});
        });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "alpha/001_first"));
        CPPUNIT_ASSERT(!tableExists(*_db, "first"));
    }

    void testNumbersMustIncrease()
    {
        const std::string message = messageOf<std::invalid_argument>([&] {
            _db->migrate("alpha", {{2, "b", "SELECT 1"}, {1, "a", "SELECT 1"}});
        });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "alpha/001_a"));
        messageOf<std::invalid_argument>(
            [&] { _db->migrate("alpha", {{1, "a", "SELECT 1"}, {1, "b", "SELECT 1"}}); });
        messageOf<std::invalid_argument>([&] { _db->migrate("alpha", {{0, "a", "SELECT 1"}}); });
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), _db->appliedMigrations("alpha").size());
    }

    void testEveryConnectionIsPrepared()
    {
        // Hold all four sessions at once, so each is a distinct connection.
        std::vector<Poco::Data::Session> sessions;
        for (int i = 0; i < 4; ++i)
            sessions.push_back(_db->session());
        for (Poco::Data::Session& session : sessions) {
            std::string journalMode;
            int busyTimeout = 0, foreignKeys = 0, synchronous = -1;
            session << "PRAGMA journal_mode", into(journalMode), now;
            session << "PRAGMA busy_timeout", into(busyTimeout), now;
            session << "PRAGMA foreign_keys", into(foreignKeys), now;
            session << "PRAGMA synchronous", into(synchronous), now;
            CPPUNIT_ASSERT_EQUAL(std::string("wal"), journalMode);
            CPPUNIT_ASSERT_EQUAL(5000, busyTimeout);
            CPPUNIT_ASSERT_EQUAL(1, foreignKeys);
            CPPUNIT_ASSERT_EQUAL(1, synchronous); // NORMAL
        }
    }

    void testForeignKeysEnforced()
    {
        _db->migrate("alpha", {{1, "tables", "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                                              "CREATE TABLE child (parent INTEGER NOT NULL "
                                              "REFERENCES parent (id))"}});
        messageOf<std::exception>([&] {
            Poco::Data::Session session = _db->session();
            session << "INSERT INTO child (parent) VALUES (42)", now;
        });
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), count(*_db, "SELECT COUNT(*) FROM child"));
    }

    void testWriteCommits()
    {
        _db->migrate("alpha", alphaMigrations);
        _db->write([](Poco::Data::Session& session) {
            session << "INSERT INTO items (label) VALUES ('second')", now;
            session << "INSERT INTO items (label) VALUES ('third')", now;
        });
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(3), count(*_db, "SELECT COUNT(*) FROM items"));
    }

    void testWriteRollsBackAndRethrows()
    {
        _db->migrate("alpha", alphaMigrations);
        struct Abort
        {
            int code;
        };
        try {
            _db->write([](Poco::Data::Session& session) {
                session << "INSERT INTO items (label) VALUES ('second')", now;
                throw Abort{42};
            });
            CPPUNIT_FAIL("write() swallowed the exception");
        } catch (const Abort& abort) {
            CPPUNIT_ASSERT_EQUAL(42, abort.code);
        }
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), count(*_db, "SELECT COUNT(*) FROM items"));
        // The connection is usable (not left inside the transaction).
        _db->write([](Poco::Data::Session& session) {
            session << "INSERT INTO items (label) VALUES ('third')", now;
        });
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), count(*_db, "SELECT COUNT(*) FROM items"));
    }

    void testNestedWriteRefused()
    {
        _db->migrate("alpha", alphaMigrations);
        const std::string message = messageOf<std::logic_error>([&] {
            _db->write([&](Poco::Data::Session& session) {
                session << "INSERT INTO items (label) VALUES ('outer')", now;
                _db->write([](Poco::Data::Session&) {});
            });
        });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "nested"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), count(*_db, "SELECT COUNT(*) FROM items"));
    }

    void testSessionInsideWriteJoinsTransaction()
    {
        _db->migrate("alpha", alphaMigrations);
        Poco::Int64 seenInside = 0;
        try {
            _db->write([&](Poco::Data::Session& session) {
                session << "INSERT INTO items (label) VALUES ('second')", now;
                Poco::Data::Session helper = _db->session();
                helper << "INSERT INTO items (label) VALUES ('third')", now;
                seenInside = count(*_db, "SELECT COUNT(*) FROM items");
                throw std::runtime_error("undo");
            });
        } catch (const std::runtime_error&) {
        }
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(3), seenInside);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), count(*_db, "SELECT COUNT(*) FROM items"));

        // Another thread does not join: it waits for the lock, then sees the committed rows.
        std::atomic<Poco::Int64> seenByOther{-1};
        _db->write([&](Poco::Data::Session& session) {
            session << "INSERT INTO items (label) VALUES ('second')", now;
            std::thread other([&] { seenByOther = count(*_db, "SELECT COUNT(*) FROM items"); });
            other.join();
        });
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), seenByOther.load());
    }

    void testLeftoverTransactionRolledBack()
    {
        DatabaseSettings settings = sqliteSettings();
        settings.maxSessions = 1;
        _db = std::make_unique<PooledDatabase>(settings);
        _db->open();
        _db->migrate("alpha", alphaMigrations);
        {
            Poco::Data::Session session = _db->session();
            session << "BEGIN IMMEDIATE", now;
            session << "INSERT INTO items (label) VALUES ('abandoned')", now;
        }
        Poco::Data::Session session = _db->session();
        CPPUNIT_ASSERT(session.getFeature("autoCommit"));
        Poco::Int64 n = 0;
        session << "SELECT COUNT(*) FROM items", into(n), now;
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), n);
    }

    void testConcurrentWritesNeverBusy()
    {
        _db->migrate("alpha", {{1, "counter", "CREATE TABLE counter (n INTEGER NOT NULL);"
                                              "INSERT INTO counter (n) VALUES (0)"}});
        std::atomic<int> failures{0};
        std::string firstFailure;
        std::mutex failureMutex;
        const auto worker = [&] {
            for (int i = 0; i < 200; ++i) {
                try {
                    // Read, then write: a deferred transaction would hit SQLITE_BUSY here.
                    _db->write([](Poco::Data::Session& session) {
                        int n = 0;
                        session << "SELECT n FROM counter", into(n), now;
                        session << "UPDATE counter SET n = ?", use(n = n + 1), now;
                    });
                } catch (const std::exception& error) {
                    std::lock_guard<std::mutex> lock(failureMutex);
                    if (failures++ == 0)
                        firstFailure = error.what();
                }
            }
        };
        std::thread a(worker), b(worker);
        a.join();
        b.join();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(firstFailure, 0, failures.load());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(400), count(*_db, "SELECT n FROM counter"));
    }

    void testDataSurvivesReopen()
    {
        _db->migrate("alpha", alphaMigrations);
        _db->write([](Poco::Data::Session& session) {
            session << "INSERT INTO items (label) VALUES ('kept')", now;
        });
        _db->close();
        CPPUNIT_ASSERT(!_db->isOpen());
        _db = std::make_unique<PooledDatabase>(sqliteSettings());
        _db->open();
        _db->migrate("alpha", alphaMigrations);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1),
                             count(*_db, "SELECT COUNT(*) FROM items WHERE label = 'kept'"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), _db->appliedMigrations("alpha").size());
    }

    void testPoolWaitsThenGivesUp()
    {
        DatabaseSettings settings = sqliteSettings();
        settings.maxSessions = 1;
        settings.poolWaitMs = 150;
        _db = std::make_unique<PooledDatabase>(settings);
        _db->open();

        auto held = std::make_unique<Poco::Data::Session>(_db->session());
        const auto start = std::chrono::steady_clock::now();
        std::string message;
        std::thread waiter([&] {
            try {
                _db->session();
            } catch (const std::runtime_error& error) {
                message = error.what();
            }
        });
        waiter.join();
        const auto waited = std::chrono::steady_clock::now() - start;
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "no free database session"));
        CPPUNIT_ASSERT(waited >= std::chrono::milliseconds(140));

        // A session given back while someone waits goes to the waiter.
        bool got = false;
        std::thread second([&] {
            Poco::Data::Session session = _db->session();
            got = session.isConnected();
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        held.reset();
        second.join();
        CPPUNIT_ASSERT(got);
    }

    void testOpenFailureNamesSqlitePath()
    {
        DatabaseSettings settings = sqliteSettings();
        settings.sqlitePath = _dir->file("no/such/dir/test.db");
        PooledDatabase db(settings);
        const std::string message = messageOf<std::runtime_error>([&] { db.open(); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, settings.sqlitePath));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "directory exists"));
        CPPUNIT_ASSERT(!db.isOpen());
    }

    void testOpenFailureNamesPostgresHost()
    {
        DatabaseSettings settings;
        settings.backend = Database::Backend::PostgreSQL;
        // A Unix socket directory with no server: fails at once, touches no network.
        settings.postgresConnection = "host=" + _dir->path() + " port=5999 dbname=cg "
                                      "user=cg password=hunter2 connect_timeout=2";
        PooledDatabase db(settings);
        const std::string message = messageOf<std::runtime_error>([&] { db.open(); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "PostgreSQL at host " + _dir->path()));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "port 5999"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "server is running"));
        CPPUNIT_ASSERT_MESSAGE(message, !contains(message, "hunter2"));

        settings.postgresConnection = "postgresql://cg:hunter2@/cg?host=" + _dir->path()
                                      + "&port=5998&connect_timeout=2";
        PooledDatabase uriDb(settings);
        const std::string uriMessage = messageOf<std::invalid_argument>([&] { uriDb.open(); });
        CPPUNIT_ASSERT_MESSAGE(uriMessage, contains(uriMessage, "key=value"));
        CPPUNIT_ASSERT_MESSAGE(uriMessage, !contains(uriMessage, "hunter2"));
    }

    void testNotOpenRefused()
    {
        PooledDatabase db(sqliteSettings());
        messageOf<std::logic_error>([&] { db.session(); });
        messageOf<std::logic_error>([&] { db.write([](Poco::Data::Session&) {}); });
        _db->close();
        _db->close(); // twice is fine
        messageOf<std::logic_error>([&] { _db->session(); });
    }

    void testTranslateSqlite()
    {
        const std::string sql = "CREATE TABLE t (id {{id}}, data {{blob}}, size {{bigint}}, "
                                "at {{bigint}} DEFAULT ({{now}}), note TEXT DEFAULT '{{id}} ?')"
                                " -- {{id}} ?\n";
        CPPUNIT_ASSERT_EQUAL(
            std::string("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB, "
                        "size INTEGER, at INTEGER DEFAULT (CAST(strftime('%s','now') AS "
                        "INTEGER)), note TEXT DEFAULT '{{id}} ?') -- {{id}} ?\n"),
            _db->translate(sql));
        CPPUNIT_ASSERT_EQUAL(std::string("SELECT a FROM t WHERE b = ? AND c = ?"),
                             _db->translate("SELECT a FROM t WHERE b = ? AND c = ?"));

        // And the result really runs.
        _db->migrate("alpha", {{1, "t", sql}});
        Poco::Data::Session session = _db->session();
        session << "INSERT INTO t (size) VALUES (5000000000)", now;
        Poco::Int64 size = 0, at = 0;
        session << "SELECT size, at FROM t", into(size), into(at), now;
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(5000000000), size);
        CPPUNIT_ASSERT(std::abs(at - std::time(nullptr)) < 60);
    }

    void testTranslatePostgres()
    {
        DatabaseSettings settings;
        settings.backend = Database::Backend::PostgreSQL;
        settings.postgresConnection = "host=nowhere";
        PooledDatabase db(settings); // never opened
        CPPUNIT_ASSERT_EQUAL(
            std::string("CREATE TABLE t (id BIGSERIAL PRIMARY KEY, data BYTEA, size BIGINT, "
                        "at BIGINT DEFAULT (CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)))"),
            db.translate("CREATE TABLE t (id {{id}}, data {{blob}}, size {{bigint}}, "
                         "at {{bigint}} DEFAULT ({{now}}))"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("SELECT a FROM t WHERE b = $1 AND c = '?' AND \"?\" = $2 -- ?\n"
                        "AND d = $3"),
            db.translate("SELECT a FROM t WHERE b = ? AND c = '?' AND \"?\" = ? -- ?\n"
                         "AND d = ?"));
        CPPUNIT_ASSERT_EQUAL(std::string("SELECT 'it''s ?', $1"),
                             db.translate("SELECT 'it''s ?', ?"));
    }

    void testTranslateLockTokens()
    {
        DatabaseSettings settings;
        settings.backend = Database::Backend::PostgreSQL;
        settings.postgresConnection = "host=nowhere";
        PooledDatabase postgres(settings); // never opened
        CPPUNIT_ASSERT_EQUAL(std::string("SELECT id FROM jobs WHERE status = $1 ORDER BY id FOR UPDATE SKIP LOCKED"),
                             postgres.translate("SELECT id FROM jobs WHERE status = ? ORDER BY id {{skip_locked}}"));
        CPPUNIT_ASSERT_EQUAL(std::string("SELECT 1 FROM pg_advisory_xact_lock(hashtext('jobs.queue'))"),
                             postgres.translate("{{xact_lock:jobs.queue}}"));
        CPPUNIT_ASSERT_EQUAL(std::string("SELECT id FROM jobs ORDER BY id "),
                             _db->translate("SELECT id FROM jobs ORDER BY id {{skip_locked}}"));
        CPPUNIT_ASSERT_EQUAL(std::string("SELECT 1"), _db->translate("{{xact_lock:jobs.queue}}"));
        // The name goes into a SQL literal: only plain names.
        for (const char* bad : {"{{xact_lock:}}", "{{xact_lock:a'b}}", "{{xact_lock:a b}}"}) {
            const std::string message = messageOf<std::invalid_argument>([&] { postgres.translate(bad); });
            CPPUNIT_ASSERT_MESSAGE(message, contains(message, "lock name"));
        }
        // Inside write() on SQLite the statement runs and reads one integer.
        _db->write([&](Poco::Data::Session& session) {
            int one = 0;
            session << _db->translate("{{xact_lock:jobs.queue}}"), Poco::Data::Keywords::into(one),
                Poco::Data::Keywords::now;
            CPPUNIT_ASSERT_EQUAL(1, one);
        });
    }

    void testTranslateUnknownToken()
    {
        const std::string message = messageOf<std::invalid_argument>(
            [&] { _db->translate("CREATE TABLE t (a {{uuid}})"); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "{{uuid}}"));
        messageOf<std::invalid_argument>([&] { _db->translate("SELECT {{id"); });

        const std::string failed = messageOf<std::runtime_error>(
            [&] { _db->migrate("alpha", {{1, "bad_token", "CREATE TABLE t (a {{text}})"}}); });
        CPPUNIT_ASSERT_MESSAGE(failed, contains(failed, "migration alpha/001_bad_token failed"));
        CPPUNIT_ASSERT_MESSAGE(failed, contains(failed, "{{text}}"));
    }

    /// The hot-path read: prepared once, yet it sees what any connection or another process
    /// committed before it starts (a revocation must count on the next request), and inside
    /// write() the transaction's own rows.
    void testSelectSeesEveryCommitAtOnce()
    {
        _db->migrate("alpha", alphaMigrations);
        _db->write([&](Poco::Data::Session& session) {
            session << "CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB, note TEXT, ratio REAL)", now;
        });
        const std::string query = "SELECT id, label FROM items WHERE label = ?";
        auto rows = _db->select(query, {std::string("first")});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rows.size());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), rows[0][0].convert<Poco::Int64>());
        CPPUNIT_ASSERT_EQUAL(std::string("first"), rows[0][1].convert<std::string>());
        CPPUNIT_ASSERT(_db->select(query, {std::string("second")}).empty());

        // Another instance on the same file stands for another process (the CLI, say).
        PooledDatabase other(sqliteSettings());
        other.open();
        other.write([&](Poco::Data::Session& session) {
            session << "INSERT INTO items (label) VALUES ('second')", now;
        });
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _db->select(query, {std::string("second")}).size());
        other.write([&](Poco::Data::Session& session) { session << "DELETE FROM items WHERE label = 'second'", now; });
        CPPUNIT_ASSERT(_db->select(query, {std::string("second")}).empty());

        std::size_t seenInside = 0;
        _db->write([&](Poco::Data::Session& session) {
            session << "INSERT INTO items (label) VALUES ('third')", now;
            seenInside = _db->select(query, {std::string("third")}).size();
        });
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), seenInside);

        const std::string bytes("a\0b\xff", 4);
        _db->write([&](Poco::Data::Session& session) {
            Poco::Data::BLOB blob(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
            session << "INSERT INTO blobs (id, body, note, ratio) VALUES (7, ?, NULL, 0.5)", use(blob), now;
        });
        rows = _db->select("SELECT body, note, ratio, id FROM blobs WHERE id = ?", {Poco::Int64(7)});
        CPPUNIT_ASSERT_EQUAL(bytes, rows.at(0)[0].convert<std::string>());
        CPPUNIT_ASSERT(rows[0][1].isEmpty());
        CPPUNIT_ASSERT_EQUAL(0.5, rows[0][2].convert<double>());

        const std::string message =
            messageOf<std::runtime_error>([&] { _db->select("SELECT nothing FROM nowhere", {}); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "nowhere"));
    }

    void testExecuteWritesOneStatement()
    {
        _db->migrate("alpha", alphaMigrations);
        const std::string insert = "INSERT INTO items (label, price) VALUES (?, ?)";
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), _db->execute(insert, {std::string("second"), Poco::Int64(5)}));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), _db->execute(insert, {std::string("third"), Poco::Int64(6)}));
        // Committed at once: another instance (another process) sees it.
        PooledDatabase other(sqliteSettings());
        other.open();
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(3), count(other, "SELECT COUNT(*) FROM items"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(6), count(other, "SELECT price FROM items WHERE label = 'third'"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2), _db->execute("UPDATE items SET price = ? WHERE label <> ?",
                                                           {Poco::Int64(9), std::string("first")}));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), _db->execute("DELETE FROM items WHERE label = ?", {std::string("none")}));

        // Inside write() it joins the transaction, so a rollback takes it back too.
        try {
            _db->write([&](Poco::Data::Session&) {
                _db->execute(insert, {std::string("undone"), Poco::Int64(1)});
                CPPUNIT_ASSERT_EQUAL(std::size_t(1), _db->select("SELECT 1 FROM items WHERE label = 'undone'", {}).size());
                throw std::runtime_error("undo");
            });
        } catch (const std::runtime_error&) {
        }
        CPPUNIT_ASSERT(_db->select("SELECT 1 FROM items WHERE label = 'undone'", {}).empty());

        // A constraint violation (NULL into NOT NULL) names the statement and leaves the
        // connection usable.
        const std::string message = messageOf<std::runtime_error>(
            [&] { _db->execute(insert, {std::string("no price"), Poco::Dynamic::Var()}); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "INSERT INTO items") && contains(message, "NOT NULL"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), _db->execute(insert, {std::string("after"), Poco::Int64(2)}));
    }

    void testExecuteBesideConcurrentWrites()
    {
        _db->migrate("alpha", {{1, "counter", "CREATE TABLE counter (n INTEGER NOT NULL);"
                                              "INSERT INTO counter (n) VALUES (0)"}});
        std::atomic<int> failures{0};
        const auto viaWrite = [&] {
            for (int i = 0; i < 150; ++i) {
                try {
                    _db->write([](Poco::Data::Session& session) {
                        int n = 0;
                        session << "SELECT n FROM counter", into(n), now;
                        session << "UPDATE counter SET n = ?", use(n = n + 1), now;
                    });
                } catch (const std::exception&) {
                    ++failures;
                }
            }
        };
        const auto viaExecute = [&] {
            for (int i = 0; i < 150; ++i) {
                try {
                    _db->execute("UPDATE counter SET n = n + 1", {});
                } catch (const std::exception&) {
                    ++failures;
                }
            }
        };
        std::thread a(viaWrite), b(viaExecute), c(viaExecute);
        a.join();
        b.join();
        c.join();
        CPPUNIT_ASSERT_EQUAL(0, failures.load());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(450), count(*_db, "SELECT n FROM counter"));
    }

    void testPostgresLive()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: testPostgresLive: PostgreSQL binaries (initdb, pg_ctl) not "
                         "found; set COMFYGATE_PG_BINDIR\n";
            return;
        }
        comfygate::test::PostgresCluster cluster;
        DatabaseSettings settings;
        settings.backend = Database::Backend::PostgreSQL;
        settings.postgresConnection = cluster.connectionString();
        settings.maxSessions = 4;

        // Two instances starting at once: each migration runs exactly once.
        PooledDatabase first(settings), second(settings);
        first.open();
        second.open();
        std::string firstError, secondError;
        std::thread a([&] {
            try {
                first.migrate("alpha", alphaMigrations);
            } catch (const std::exception& e) {
                firstError = e.what();
            }
        });
        std::thread b([&] {
            try {
                second.migrate("alpha", alphaMigrations);
            } catch (const std::exception& e) {
                secondError = e.what();
            }
        });
        a.join();
        b.join();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(firstError, std::string(), firstError);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(secondError, std::string(), secondError);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), count(first, "SELECT COUNT(*) FROM items"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(7), count(first, "SELECT price FROM items"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), first.appliedMigrations("alpha").size());

        // A failing migration rolls back (PostgreSQL DDL is transactional too).
        const std::string message = messageOf<std::runtime_error>([&] {
            first.migrate("beta", {{1, "broken", "CREATE TABLE half (id INTEGER);"
                                                 "INSERT INTO missing_table VALUES (1)"}});
        });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "migration beta/001_broken failed: "));
        CPPUNIT_ASSERT(!tableExists(first, "half"));

        // write() with translated placeholders; rollback on exception.
        first.write([&](Poco::Data::Session& session) {
            std::string label = "second";
            Poco::Int64 price = 5000000000;
            session << first.translate("INSERT INTO items (label, price) VALUES (?, ?)"),
                use(label), use(price), now;
        });
        try {
            first.write([&](Poco::Data::Session& session) {
                session << "INSERT INTO items (label) VALUES ('third')", now;
                throw std::runtime_error("undo");
            });
        } catch (const std::runtime_error&) {
        }
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), count(first, "SELECT COUNT(*) FROM items"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(5000000000), count(first, "SELECT MAX(price) FROM items"));
        const Poco::Int64 nowSeconds = count(first, first.translate("SELECT {{now}}"));
        // select() runs through the pool and sees the other instance's commit at once.
        second.write([&](Poco::Data::Session& session) {
            session << "INSERT INTO items (label, price) VALUES ('fourth', 4)", now;
        });
        const auto selected = first.select("SELECT label, price FROM items WHERE label = ?", {std::string("fourth")});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), selected.size());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(4), selected[0][1].convert<Poco::Int64>());
        second.write([&](Poco::Data::Session& session) { session << "DELETE FROM items WHERE label = 'fourth'", now; });
        CPPUNIT_ASSERT(std::abs(nowSeconds - std::time(nullptr)) < 60);
        // execute() runs through a session with `$n` placeholders and commits.
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), first.execute("INSERT INTO items (label, price) VALUES (?, ?)",
                                                            {std::string("fifth"), Poco::Int64(5)}));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), second.execute("DELETE FROM items WHERE label = ?", {std::string("fifth")}));

        // Concurrent read-modify-write transactions from both instances.
        first.migrate("gamma", {{1, "counter", "CREATE TABLE counter (n INTEGER NOT NULL);"
                                               "INSERT INTO counter (n) VALUES (0)"}});
        std::atomic<int> failures{0};
        const auto worker = [&](PooledDatabase& db) {
            for (int i = 0; i < 50; ++i) {
                try {
                    db.write([](Poco::Data::Session& session) {
                        int n = 0;
                        session << "SELECT n FROM counter FOR UPDATE", into(n), now;
                        session << "UPDATE counter SET n = $1", use(n = n + 1), now;
                    });
                } catch (const std::exception&) {
                    ++failures;
                }
            }
        };
        std::thread c([&] { worker(first); }), d([&] { worker(second); });
        c.join();
        d.join();
        CPPUNIT_ASSERT_EQUAL(0, failures.load());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(100), count(first, "SELECT n FROM counter"));
    }

private:
    std::unique_ptr<comfygate::test::TempDir> _dir;
    std::unique_ptr<PooledDatabase> _db;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PooledDatabaseTest);
