// comfygate backup / restore through the real binary: a backup taken while a server is
// running and being written to restores into a new data directory that a new server serves;
// damaged, unsafe, too new and misplaced restores are refused before anything is written.
#include "ChildProcess.h"
#include "HttpTestClient.h"
#include "PostgresCluster.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "TestPaths.h"

#include <archive.h>
#include <archive_entry.h>
#include <sqlite3.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <set>
#include <signal.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <cppunit/extensions/HelperMacros.h>

using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using comfygate::test::TempDir;
namespace fs = std::filesystem;

namespace {

const std::map<std::string, std::string> exampleModules{
    {"modules.dir", COMFYGATE_MODULE_DIR "," COMFYGATE_TEST_MODULE_DIR},
    {"modules.enabled", "example,fixture_auth"}};

std::map<std::string, std::string> withDataDir(const std::string& dir)
{
    auto overrides = exampleModules;
    overrides["data.dir"] = dir;
    return overrides;
}

std::map<std::string, std::string> bearer(const std::string& user)
{
    return {{"Authorization", "Bearer fixture:" + user + ":user"}};
}

int greetings(const HttpTestClient& client, const std::string& user)
{
    const auto result = client.get("/example/greeting", bearer(user));
    CPPUNIT_ASSERT_EQUAL(200, result.status);
    return result.json()->getValue<int>("greetings");
}

mode_t modeOf(const std::string& path)
{
    struct stat info {};
    CPPUNIT_ASSERT_EQUAL(0, ::stat(path.c_str(), &info));
    return info.st_mode & 07777;
}

/// Every table of a SQLite database with its rows, each row its columns quoted as SQL text.
using Tables = std::map<std::string, std::multiset<std::string>>;

Tables readTables(const std::string& path)
{
    sqlite3* db = nullptr;
    CPPUNIT_ASSERT_EQUAL(SQLITE_OK, sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr));
    sqlite3_busy_timeout(db, 10000);
    Tables tables;
    std::vector<std::string> names;
    sqlite3_stmt* list = nullptr;
    sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", -1,
                       &list, nullptr);
    while (sqlite3_step(list) == SQLITE_ROW)
        names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(list, 0)));
    sqlite3_finalize(list);
    for (const auto& name : names) {
        auto& rows = tables[name];
        sqlite3_stmt* select = nullptr;
        CPPUNIT_ASSERT_EQUAL(SQLITE_OK, sqlite3_prepare_v2(db, ("SELECT * FROM \"" + name + "\"").c_str(), -1, &select, nullptr));
        while (sqlite3_step(select) == SQLITE_ROW) {
            std::string row;
            for (int i = 0; i < sqlite3_column_count(select); ++i) {
                const unsigned char* text = sqlite3_column_text(select, i);
                row += (text ? "'" + std::string(reinterpret_cast<const char*>(text)) + "'" : std::string("NULL")) + "|";
            }
            rows.insert(row);
        }
        sqlite3_finalize(select);
    }
    sqlite3_close(db);
    return tables;
}

/// Copies a tar archive entry by entry, letting `edit` change an entry's content; `extra`
/// adds raw entries at the end (name, type, content, symlink target).
struct RawEntry
{
    std::string name;
    unsigned type = AE_IFREG;
    std::string content;
    std::string linkTarget;
};

void rewriteArchive(const std::string& from, const std::string& to,
                    const std::function<void(const std::string&, std::string&)>& edit,
                    const std::vector<RawEntry>& extra = {})
{
    archive* in = archive_read_new();
    archive_read_support_format_tar(in);
    CPPUNIT_ASSERT_EQUAL(ARCHIVE_OK, archive_read_open_filename(in, from.c_str(), 65536));
    archive* out = archive_write_new();
    archive_write_set_format_pax_restricted(out);
    CPPUNIT_ASSERT_EQUAL(ARCHIVE_OK, archive_write_open_filename(out, to.c_str()));
    auto write = [out](const RawEntry& raw) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, raw.name.c_str());
        archive_entry_set_filetype(entry, raw.type);
        archive_entry_set_perm(entry, 0644);
        if (raw.type == AE_IFLNK)
            archive_entry_set_symlink(entry, raw.linkTarget.c_str());
        archive_entry_set_size(entry, raw.type == AE_IFREG ? static_cast<la_int64_t>(raw.content.size()) : 0);
        archive_write_header(out, entry);
        if (raw.type == AE_IFREG && !raw.content.empty())
            archive_write_data(out, raw.content.data(), raw.content.size());
        archive_entry_free(entry);
    };
    archive_entry* header = nullptr;
    while (archive_read_next_header(in, &header) == ARCHIVE_OK) {
        RawEntry raw{archive_entry_pathname(header)};
        char buffer[65536];
        la_ssize_t got = 0;
        while ((got = archive_read_data(in, buffer, sizeof buffer)) > 0)
            raw.content.append(buffer, static_cast<std::size_t>(got));
        edit(raw.name, raw.content);
        write(raw);
    }
    for (const auto& raw : extra)
        write(raw);
    archive_write_close(out);
    archive_write_free(out);
    archive_read_free(in);
}

std::vector<std::string> entriesOf(const std::string& path)
{
    std::vector<std::string> names;
    archive* in = archive_read_new();
    archive_read_support_format_tar(in);
    CPPUNIT_ASSERT_EQUAL(ARCHIVE_OK, archive_read_open_filename(in, path.c_str(), 65536));
    archive_entry* header = nullptr;
    int status = ARCHIVE_OK;
    while ((status = archive_read_next_header(in, &header)) == ARCHIVE_OK)
        names.emplace_back(archive_entry_pathname(header));
    CPPUNIT_ASSERT_EQUAL(ARCHIVE_EOF, status);
    archive_read_free(in);
    return names;
}

/// The names in a directory, sorted, comma-separated.
std::string listDirectory(const std::string& dir)
{
    std::set<std::string> names;
    for (const auto& item : fs::directory_iterator(dir))
        names.insert(item.path().filename().string());
    std::string text;
    for (const auto& name : names)
        text += (text.empty() ? "" : ",") + name;
    return text;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

} // namespace

class BackupRestoreTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(BackupRestoreTest);
    CPPUNIT_TEST(backupDuringLoadRestoresAConsistentCopyThatANewServerServes);
    CPPUNIT_TEST(corruptArchiveIsRefusedNamingTheFile);
    CPPUNIT_TEST(nonEmptyTargetIsRefused);
    CPPUNIT_TEST(newerSchemaIsRefused);
    CPPUNIT_TEST(entriesOutsideTheTargetAreRefused);
    CPPUNIT_TEST(killedBackupLeavesNoFileBehind);
    CPPUNIT_TEST(postgresBackupArchivesTheRestAndPrintsThePgDumpCommand);
    CPPUNIT_TEST_SUITE_END();

public:
    void backupDuringLoadRestoresAConsistentCopyThatANewServerServes()
    {
        ServerProcess source(exampleModules);
        source.start();
        HttpTestClient client(source.port());
        for (int i = 0; i < 3; ++i)
            greetings(client, "ann");

        // One writer greets new users u0, u1, ... in order while the backup runs: a consistent
        // copy holds exactly u0..u(k-1) for one k, never a gap.
        std::atomic<int> done{0};
        std::atomic<bool> stop{false};
        std::atomic<int> failures{0};
        std::thread writer([&] {
            HttpTestClient load(source.port());
            while (!stop) {
                const auto result = load.get("/example/greeting", bearer("u" + std::to_string(done.load())));
                if (result.status != 200)
                    ++failures;
                ++done;
            }
        });
        while (done < 20)
            std::this_thread::yield();
        const int before = done;
        const std::string file = source.temp().file("backups/comfygate.tar");
        fs::create_directories(fs::path(file).parent_path());
        std::string out, err;
        const int status = source.runCommand({"backup", file}, out, err);
        const int after = done;
        while (done < after + 20)
            std::this_thread::yield();
        stop = true;
        writer.join();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, status);
        CPPUNIT_ASSERT_EQUAL(0, failures.load());
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "backup written: " + file + " ("));
        CPPUNIT_ASSERT_EQUAL(std::string("comfygate.tar"), listDirectory(fs::path(file).parent_path()));
        CPPUNIT_ASSERT_EQUAL(mode_t(0600), modeOf(file));
        const auto names = entriesOf(file);
        for (const std::string expected : {"data/comfygate.db", "data/secret.key", "manifest.json"})
            CPPUNIT_ASSERT_MESSAGE(expected, std::find(names.begin(), names.end(), expected) != names.end());
        CPPUNIT_ASSERT(std::any_of(names.begin(), names.end(), [](const std::string& n) { return n.rfind("policies/", 0) == 0; }));

        TempDir targetTemp;
        const std::string restored = targetTemp.file("restored-data");
        ServerProcess target(withDataDir(restored));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, target.runCommand({"restore", file}, out, err));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "into " + restored));
        CPPUNIT_ASSERT_EQUAL(mode_t(0700), modeOf(restored));
        CPPUNIT_ASSERT_EQUAL(mode_t(0600), modeOf(restored + "/secret.key"));
        CPPUNIT_ASSERT_EQUAL(comfygate::test::fileText(source.dataDir() + "/secret.key"),
                             comfygate::test::fileText(restored + "/secret.key"));
        // No staging directory is left next to the target.
        CPPUNIT_ASSERT_EQUAL(std::string("restored-data"), listDirectory(targetTemp.path()));

        // Every table of the source is there, and every restored row is a row of the source.
        const Tables copy = readTables(restored + "/comfygate.db");
        source.stop();
        const Tables original = readTables(source.dataDir() + "/comfygate.db");
        for (const auto& [table, rows] : original) {
            const auto found = copy.find(table);
            CPPUNIT_ASSERT_MESSAGE("table " + table + " missing", found != copy.end());
            for (const auto& row : found->second)
                CPPUNIT_ASSERT_MESSAGE(table + ": " + row + " is not in the source", rows.count(row) == 1);
        }
        CPPUNIT_ASSERT_EQUAL(original.size(), copy.size());
        // The copy is one commit of the source: u0..u(k-1), the users greeted before the backup
        // started among them, none greeted after it ended.
        std::set<std::string> users;
        for (const auto& row : copy.at("example_greetings"))
            users.insert(row.substr(1, row.find('\'', 1) - 1));
        const int k = static_cast<int>(users.size()) - 1; // ann
        CPPUNIT_ASSERT(users.count("ann") == 1);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(k), k >= before && k <= after);
        for (int i = 0; i < k; ++i)
            CPPUNIT_ASSERT_MESSAGE("u" + std::to_string(i), users.count("u" + std::to_string(i)) == 1);

        target.start();
        HttpTestClient restoredClient(target.port());
        CPPUNIT_ASSERT_EQUAL(4, greetings(restoredClient, "ann"));
        CPPUNIT_ASSERT_EQUAL(2, greetings(restoredClient, "u0"));
    }

    void corruptArchiveIsRefusedNamingTheFile()
    {
        ServerProcess source(exampleModules);
        const std::string file = backup(source);
        const std::string damaged = source.temp().file("damaged.tar");
        rewriteArchive(file, damaged, [](const std::string& name, std::string& content) {
            if (name == "data/secret.key")
                content[0] ^= 1;
        });
        expectRefusal(damaged, "the checksum of data/secret.key does not match the manifest");
    }

    void nonEmptyTargetIsRefused()
    {
        ServerProcess source(exampleModules);
        const std::string file = backup(source);
        TempDir targetTemp;
        targetTemp.write("data/keep-me", "x");
        ServerProcess target(withDataDir(targetTemp.file("data")));
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL(1, target.runCommand({"restore", file}, out, err));
        CPPUNIT_ASSERT_MESSAGE(err, contains(err, "is not empty: restore only into a new or empty directory"));
        CPPUNIT_ASSERT_EQUAL(std::string("keep-me"), listDirectory(targetTemp.file("data")));
    }

    void newerSchemaIsRefused()
    {
        ServerProcess source(exampleModules);
        const std::string file = backup(source);
        const std::string future = source.temp().file("future.tar");
        rewriteArchive(file, future, [](const std::string& name, std::string& content) {
            if (name != "manifest.json")
                return;
            auto manifest = Poco::JSON::Parser().parse(content).extract<Poco::JSON::Object::Ptr>();
            Poco::JSON::Object::Ptr migration = new Poco::JSON::Object;
            migration->set("number", 999);
            migration->set("name", "from_the_future");
            manifest->getObject("schema")->getArray("kernel")->add(migration);
            std::ostringstream text;
            manifest->stringify(text);
            content = text.str();
        });
        expectRefusal(future, "has migration kernel 999 (from_the_future), which this build does not know");
    }

    void entriesOutsideTheTargetAreRefused()
    {
        ServerProcess source(exampleModules);
        const std::string file = backup(source);
        const std::vector<std::pair<RawEntry, std::string>> attacks{
            {{"../escaped", AE_IFREG, "x"}, "outside its directory ('../escaped')"},
            {{"policies/../../escaped", AE_IFREG, "x"}, "outside its directory ('policies/../../escaped')"},
            {{"/tmp/escaped-absolute", AE_IFREG, "x"}, "outside its directory ('/tmp/escaped-absolute')"},
            {{"policies/link", AE_IFLNK, "", "/etc/passwd"}, "not a regular file ('policies/link'"},
        };
        for (const auto& [entry, message] : attacks) {
            const std::string bad = source.temp().file("bad.tar");
            rewriteArchive(file, bad, [](const std::string&, std::string&) {}, {entry});
            expectRefusal(bad, message);
        }
        CPPUNIT_ASSERT(!fs::exists("/tmp/escaped-absolute"));
    }

    void killedBackupLeavesNoFileBehind()
    {
        // Kill the backup at ever later moments until one finishes: after each kill the target
        // directory holds nothing, or the complete archive.
        ServerProcess source(exampleModules);
        source.start();
        HttpTestClient client(source.port());
        for (int i = 0; i < 50; ++i)
            greetings(client, "user" + std::to_string(i));
        TempDir out;
        const std::string dir = out.file("backups");
        fs::create_directories(dir);
        const std::string file = dir + "/comfygate.tar";
        std::vector<std::string> args{COMFYGATE_BINARY};
        for (const auto& [key, value] : withDataDir(source.dataDir()))
            args.insert(args.end(), {"--set", key + "=" + value});
        args.insert(args.end(), {"backup", file});
        out.write("in", "");
        bool finished = false;
        int killed = 0;
        for (int delayMs = 0; !finished && delayMs < 20000; delayMs += 10) {
            fs::remove(file);
            const pid_t pid = comfygate::test::spawnProcess(args, {"PATH=/usr/bin:/bin"}, out.file("in"),
                                                            out.file("out"), out.file("err"));
            std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
            ::kill(pid, SIGKILL);
            int status = 0;
            ::waitpid(pid, &status, 0);
            finished = WIFEXITED(status);
            killed += finished ? 0 : 1;
            const auto left = listDirectory(dir);
            if (finished) {
                CPPUNIT_ASSERT_EQUAL_MESSAGE(comfygate::test::fileText(out.file("err")), 0, WEXITSTATUS(status));
                CPPUNIT_ASSERT_EQUAL(std::string("comfygate.tar"), left);
                const auto names = entriesOf(file);
                CPPUNIT_ASSERT_EQUAL(std::string("manifest.json"), names.back());
            } else if (!left.empty()) {
                // Killed after the archive got its name: then it is complete.
                CPPUNIT_ASSERT_EQUAL(std::string("comfygate.tar"), left);
                CPPUNIT_ASSERT_EQUAL(std::string("manifest.json"), entriesOf(file).back());
            }
        }
        CPPUNIT_ASSERT(finished);
        CPPUNIT_ASSERT(killed > 0);
        // The data directory has no leftovers of the killed runs either.
        const std::string dataFiles = listDirectory(source.dataDir());
        CPPUNIT_ASSERT_MESSAGE(dataFiles, dataFiles.find("backup") == std::string::npos);
    }

    void postgresBackupArchivesTheRestAndPrintsThePgDumpCommand()
    {
        if (comfygate::test::PostgresCluster::binDir().empty())
            throw std::runtime_error("PostgreSQL binaries (initdb, pg_ctl) not found: install postgresql");
        comfygate::test::PostgresCluster cluster;
        cluster.createDatabase("backup_pg");
        auto overrides = exampleModules;
        for (const auto& [key, value] : cluster.gatewaySettings("backup_pg"))
            overrides[key] = value;
        overrides["db.postgres.password"] = "not-in-the-output";
        ServerProcess source(overrides);
        source.start();
        const std::string file = source.temp().file("pg.tar");
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, source.runCommand({"backup", file}, out, err));
        CPPUNIT_ASSERT_MESSAGE(err, contains(err, "warning: the database is on PostgreSQL and is not in the backup"));
        CPPUNIT_ASSERT_MESSAGE(err, contains(err, "pg_dump --host=" + overrides.at("db.postgres.host")));
        CPPUNIT_ASSERT_MESSAGE(err, contains(err, "--dbname=backup_pg"));
        CPPUNIT_ASSERT_MESSAGE(err, !contains(err, "not-in-the-output"));
        const auto names = entriesOf(file);
        CPPUNIT_ASSERT(std::find(names.begin(), names.end(), "data/comfygate.db") == names.end());
        CPPUNIT_ASSERT(std::find(names.begin(), names.end(), "data/secret.key") != names.end());

        // The manifest records PostgreSQL and the migrations of the kernel and the example module.
        const std::string copy = source.temp().file("pg-copy.tar");
        std::string manifestText;
        rewriteArchive(file, copy, [&manifestText](const std::string& name, std::string& content) {
            if (name == "manifest.json")
                manifestText = content;
        });
        const auto manifest = Poco::JSON::Parser().parse(manifestText).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("postgresql"), manifest->getValue<std::string>("database_backend"));
        CPPUNIT_ASSERT(manifest->getObject("schema")->getArray("kernel")->size() >= 2);
        CPPUNIT_ASSERT(manifest->getObject("schema")->getArray("example")->size() >= 1);

        TempDir targetTemp;
        ServerProcess target(withDataDir(targetTemp.file("data")));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, target.runCommand({"restore", file}, out, err));
        CPPUNIT_ASSERT_MESSAGE(err, contains(err, "restore its pg_dump with pg_restore"));
        CPPUNIT_ASSERT_EQUAL(comfygate::test::fileText(source.dataDir() + "/secret.key"),
                             comfygate::test::fileText(targetTemp.file("data/secret.key")));
    }

private:
    std::string backup(ServerProcess& source)
    {
        const std::string file = source.temp().file("backup.tar");
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, source.runCommand({"backup", file}, out, err));
        return file;
    }

    void expectRefusal(const std::string& archive, const std::string& message)
    {
        TempDir targetTemp;
        ServerProcess target(withDataDir(targetTemp.file("data")));
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 1, target.runCommand({"restore", archive}, out, err));
        CPPUNIT_ASSERT_MESSAGE(err, contains(err, message));
        CPPUNIT_ASSERT_MESSAGE(err, contains(err, "refused") || contains(err, "use another backup") ||
                                        contains(err, "restore it with"));
        // Nothing reached the target or its parent.
        CPPUNIT_ASSERT(listDirectory(targetTemp.path()).empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BackupRestoreTest);
