// Fault injection (issue 15): SQLite busy. Another process holds the database's write lock
// longer than db.sqlite.busy_timeout_ms; requests that must write (a sign-in stores its
// session) wait that long and are then answered 503 in the route's JSON shape with Retry-After,
// reads go on, and once the lock is gone everything works and the database is intact.
#include "AuthRequests.h"
#include "HttpTestClient.h"
#include "ServerProcess.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <sqlite3.h>

#include <memory>
#include <string>

using namespace comfygate::test;

namespace {

const std::string password = "busy-harbor-password-77";

/// A second connection to the server's database that holds its write lock (BEGIN IMMEDIATE)
/// until it is released or destroyed.
class WriteLockHolder
{
public:
    explicit WriteLockHolder(const std::string& path)
    {
        if (sqlite3_open_v2(path.c_str(), &_db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
            throw std::runtime_error("cannot open " + path);
        exec("BEGIN IMMEDIATE");
    }
    ~WriteLockHolder()
    {
        release();
        sqlite3_close_v2(_db);
    }
    void release()
    {
        if (_holding)
            exec("ROLLBACK");
        _holding = false;
    }
    /// The value of a one-row, one-column query.
    std::string single(const std::string& sql)
    {
        sqlite3_stmt* statement = nullptr;
        sqlite3_prepare_v2(_db, sql.c_str(), -1, &statement, nullptr);
        std::string value;
        if (statement && sqlite3_step(statement) == SQLITE_ROW)
            value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
        sqlite3_finalize(statement);
        return value;
    }

private:
    void exec(const std::string& sql)
    {
        char* error = nullptr;
        if (sqlite3_exec(_db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            const std::string message = error ? error : "?";
            sqlite3_free(error);
            throw std::runtime_error(sql + ": " + message);
        }
        _holding = sql == "BEGIN IMMEDIATE";
    }

    sqlite3* _db = nullptr;
    bool _holding = false;
};

} // namespace

class DatabaseBusyTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(DatabaseBusyTest);
    CPPUNIT_TEST(writesWaitThenAnswer503AndNothingIsCorrupted);
    CPPUNIT_TEST_SUITE_END();

public:
    void writesWaitThenAnswer503AndNothingIsCorrupted()
    {
        ServerProcess server({{"modules.dir", COMFYGATE_MODULE_DIR},
                              {"modules.enabled", "auth"},
                              {"db.sqlite.busy_timeout_ms", "300"}},
                             {{"SECRET_KEY", "database-busy-test-secret-key-0123456789"}});
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0,
                                     server.runCommand({"user", "add", "dora", "--role", "user", "--password-stdin"},
                                                       out, err, password + "\n"));
        server.start();
        const HttpTestClient client(server.port());
        const std::string login = json({{"username", "dora"}, {"password", password}});
        const auto before = client.postJson("/login", login);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(before.body, 200, before.status);
        const auto session = bearer(before.json()->getValue<std::string>("jwt_token"));

        {
            WriteLockHolder lock(server.dataDir() + "/comfygate.db");
            const auto refused = client.postJson("/login", login);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.body, 503, refused.status);
            const std::string error = refused.json()->getValue<std::string>("error");
            CPPUNIT_ASSERT_MESSAGE(error, error.find("database is busy") != std::string::npos);
            CPPUNIT_ASSERT_EQUAL(std::string("1"), refused.header("retry-after"));
            // Reading goes on beside the writer (WAL).
            const auto me = client.get("/mss-login/api/me", session);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(me.body, 200, me.status);
            lock.release();
        }
        const auto after = client.postJson("/login", login);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(after.body, 200, after.status);
        CPPUNIT_ASSERT_EQUAL(200, client.get("/mss-login/api/me", bearer(after.json()->getValue<std::string>("jwt_token"))).status);
        CPPUNIT_ASSERT_EQUAL(0, server.stop());
        WriteLockHolder check(server.dataDir() + "/comfygate.db");
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), check.single("PRAGMA integrity_check"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DatabaseBusyTest);
