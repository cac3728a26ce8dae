#include "DatabaseAudit.h"
#include "KernelSchema.h"
#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/Session.h>

#include <ctime>
#include <iostream>
#include <memory>
#include <stdexcept>

using namespace Poco::Data::Keywords;
using comfygate::AuditEntry;
using comfygate::AuditRecord;
using comfygate::Database;
using comfygate::DatabaseAudit;
using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;

namespace {

Poco::Int64 auditRows(Database& db)
{
    Poco::Int64 n = -1;
    Poco::Data::Session session = db.session();
    session << "SELECT COUNT(*) FROM audit_log", into(n), now;
    return n;
}

void assertRoundTrip(DatabaseAudit& audit)
{
    const AuditRecord written{"alice", "user.delete", "bob", "203.0.113.7",
                              R"({"reason":"spam","groups":["a","b"]})"};
    const Poco::Int64 before = std::time(nullptr);
    audit.record(written);
    const Poco::Int64 after = std::time(nullptr);

    const std::vector<AuditEntry> entries = audit.recent(10);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), entries.size());
    const AuditEntry& entry = entries.front();
    CPPUNIT_ASSERT(entry.id > 0);
    CPPUNIT_ASSERT(entry.at >= before && entry.at <= after);
    CPPUNIT_ASSERT_EQUAL(written.actor, entry.record.actor);
    CPPUNIT_ASSERT_EQUAL(written.action, entry.record.action);
    CPPUNIT_ASSERT_EQUAL(written.target, entry.record.target);
    CPPUNIT_ASSERT_EQUAL(written.client, entry.record.client);
    CPPUNIT_ASSERT_EQUAL(written.detailJson, entry.record.detailJson);
}

} // namespace

class DatabaseAuditTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(DatabaseAuditTest);
    CPPUNIT_TEST(testRecordRoundTripsAllFields);
    CPPUNIT_TEST(testEmptyOptionalFields);
    CPPUNIT_TEST(testRecentIsNewestFirstAndLimited);
    CPPUNIT_TEST(testByActor);
    CPPUNIT_TEST(testInvalidRecordRefused);
    CPPUNIT_TEST(testDatabaseFailureThrows);
    CPPUNIT_TEST(testRecordInsideWriteCommitsAndRollsBackWithIt);
    CPPUNIT_TEST(testKernelSchemaRecorded);
    CPPUNIT_TEST(testPostgresRoundTrip);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = std::make_unique<comfygate::test::TempDir>();
        DatabaseSettings settings;
        settings.sqlitePath = _dir->file("audit.db");
        settings.maxSessions = 3;
        _db = std::make_unique<PooledDatabase>(settings);
        _db->open();
        _db->migrate(comfygate::kernelSchemaOwner, comfygate::kernelSchema());
        _audit = std::make_unique<DatabaseAudit>(*_db);
    }

    void tearDown() override
    {
        _audit.reset();
        _db.reset();
        _dir.reset();
    }

    void testRecordRoundTripsAllFields() { assertRoundTrip(*_audit); }

    void testEmptyOptionalFields()
    {
        _audit->record({"cli", "policy.reload", "", "", ""});
        const auto entries = _audit->recent(1);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), entries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("cli"), entries[0].record.actor);
        CPPUNIT_ASSERT_EQUAL(std::string("policy.reload"), entries[0].record.action);
        CPPUNIT_ASSERT(entries[0].record.target.empty());
        CPPUNIT_ASSERT(entries[0].record.client.empty());
        CPPUNIT_ASSERT(entries[0].record.detailJson.empty());
    }

    void testRecentIsNewestFirstAndLimited()
    {
        for (int i = 0; i < 5; ++i)
            _audit->record({"system", "job.run", "job-" + std::to_string(i), "", ""});
        const auto entries = _audit->recent(3);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), entries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("job-4"), entries[0].record.target);
        CPPUNIT_ASSERT_EQUAL(std::string("job-3"), entries[1].record.target);
        CPPUNIT_ASSERT_EQUAL(std::string("job-2"), entries[2].record.target);
        CPPUNIT_ASSERT(entries[0].id > entries[1].id);
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), _audit->recent(100).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), _audit->recent(0).size());
    }

    void testByActor()
    {
        _audit->record({"alice", "user.create", "carol", "", ""});
        _audit->record({"bob", "user.create", "dave", "", ""});
        _audit->record({"alice", "user.delete", "carol", "", ""});
        const auto alice = _audit->byActor("alice", 10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), alice.size());
        CPPUNIT_ASSERT_EQUAL(std::string("user.delete"), alice[0].record.action);
        CPPUNIT_ASSERT_EQUAL(std::string("user.create"), alice[1].record.action);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _audit->byActor("bob", 10).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), _audit->byActor("eve", 10).size());
    }

    void testInvalidRecordRefused()
    {
        CPPUNIT_ASSERT_THROW(_audit->record({"", "user.delete", "bob", "", ""}),
                             std::invalid_argument);
        CPPUNIT_ASSERT_THROW(_audit->record({"alice", "", "bob", "", ""}),
                             std::invalid_argument);
        CPPUNIT_ASSERT_THROW(_audit->record({"alice", "user.delete", "bob", "", "[1,2]"}),
                             std::invalid_argument);
        CPPUNIT_ASSERT_THROW(_audit->record({"alice", "user.delete", "bob", "", "{broken"}),
                             std::invalid_argument);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), auditRows(*_db));
    }

    void testDatabaseFailureThrows()
    {
        {
            Poco::Data::Session session = _db->session();
            session << "DROP TABLE audit_log", now;
        }
        bool thrown = false;
        try {
            _audit->record({"alice", "user.delete", "bob", "", ""});
        } catch (const std::exception&) {
            thrown = true;
        }
        CPPUNIT_ASSERT_MESSAGE("a lost audit record must not be silent", thrown);
    }

    void testRecordInsideWriteCommitsAndRollsBackWithIt()
    {
        try {
            _db->write([&](Poco::Data::Session&) {
                _audit->record({"alice", "user.delete", "bob", "", ""});
                throw std::runtime_error("the change failed");
            });
        } catch (const std::runtime_error&) {
        }
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), auditRows(*_db));

        _db->write([&](Poco::Data::Session&) {
            _audit->record({"alice", "user.delete", "bob", "", ""});
        });
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), auditRows(*_db));
    }

    void testKernelSchemaRecorded()
    {
        const auto applied = _db->appliedMigrations("kernel");
        CPPUNIT_ASSERT_EQUAL(comfygate::kernelSchema().size(), applied.size());
        CPPUNIT_ASSERT_EQUAL(std::string("audit_log"), applied[0].second);
        _db->migrate(comfygate::kernelSchemaOwner, comfygate::kernelSchema());
        CPPUNIT_ASSERT_EQUAL(comfygate::kernelSchema().size(),
                             _db->appliedMigrations("kernel").size());
    }

    void testPostgresRoundTrip()
    {
        if (comfygate::test::PostgresCluster::binDir().empty()) {
            std::cout << "\nSKIPPED: testPostgresRoundTrip: PostgreSQL binaries (initdb, pg_ctl) "
                         "not found; set COMFYGATE_PG_BINDIR\n";
            return;
        }
        comfygate::test::PostgresCluster cluster;
        DatabaseSettings settings;
        settings.backend = Database::Backend::PostgreSQL;
        settings.postgresConnection = cluster.connectionString();
        PooledDatabase db(settings);
        db.open();
        db.migrate(comfygate::kernelSchemaOwner, comfygate::kernelSchema());
        DatabaseAudit audit(db);
        assertRoundTrip(audit);
        audit.record({"bob", "user.create", "carol", "", ""});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), audit.byActor("bob", 5).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), audit.recent(1).size());
        CPPUNIT_ASSERT_EQUAL(std::string("bob"), audit.recent(1)[0].record.actor);
    }

private:
    std::unique_ptr<comfygate::test::TempDir> _dir;
    std::unique_ptr<PooledDatabase> _db;
    std::unique_ptr<DatabaseAudit> _audit;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DatabaseAuditTest);
